"""ACL policies: the shipped ``vault/policies/*.hcl`` files and ``sys/policies/acl``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from string import Template

import hvac

from vault.client import request, ttl
from vault.errors import InvalidName, VaultNotFound
from vault.layout import BOT_POLICY, PENDING_POLICY, role_policy
from vault.models import DEFAULT_TOKEN_RULES, ContractorTokenRules


def shipped_policy(name: str) -> str:
    """The text of ``vault/policies/{name}.hcl``; ``InvalidName`` if credbot ships no such file."""
    path = resources.files("vault").joinpath("policies", f"{name}.hcl")
    if not path.is_file():
        raise InvalidName(f"no shipped policy file {name}.hcl")
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class BotPolicyValues:
    """What ``credbot-bot.hcl`` is rendered with: the roles the bot may grant, credbot's own
    TOTP method and ``auth/credbot`` accessor, and the contractors' token rules."""

    roles: Sequence[str]
    mfa_method_id: str
    userpass_accessor: str
    tokens: ContractorTokenRules = DEFAULT_TOKEN_RULES


def bot_policy(values: BotPolicyValues) -> str:
    """``credbot-bot.hcl`` rendered: the bot may grant ``credbot-pending`` or one of the roles'
    policies, each as a one-element ``token_policies`` list, with exactly the configured token
    TTLs and CIDRs, and nothing else; it may generate and destroy MFA secrets of credbot's own
    method only, and create entity aliases on credbot's own mount only."""
    names = [PENDING_POLICY, *(role_policy(r) for r in values.roles)]
    cidrs = values.tokens.bound_cidrs
    return Template(shipped_policy(BOT_POLICY)).substitute(
        token_policy_choices=", ".join(f"[{json.dumps(n)}]" for n in names),
        mfa_method_id=json.dumps(values.mfa_method_id),
        userpass_accessor=json.dumps(values.userpass_accessor),
        token_ttl=json.dumps(ttl(values.tokens.ttl)),
        token_max_ttl=json.dumps(ttl(values.tokens.max_ttl)),
        token_bound_cidrs=json.dumps(list(cidrs)) if cidrs else "",
    )


def desired_policies(values: BotPolicyValues) -> dict[str, str]:
    """Every policy ``initialize`` writes, by name: bot, pending, and one per role."""
    roles = values.roles
    policies = {
        BOT_POLICY: bot_policy(values),
        PENDING_POLICY: shipped_policy(PENDING_POLICY),
    }
    for role in roles:
        policies[role_policy(role)] = shipped_policy(role_policy(role))
    return policies


def check_role_policies(roles: Sequence[str]) -> None:
    """Raise ``InvalidName`` unless credbot ships a policy file for every role in ``roles``."""
    for role in roles:
        shipped_policy(role_policy(role))


def read_acl_policy(client: hvac.Client, name: str) -> str | None:
    """``GET /sys/policies/acl/{name}``: the policy text, or ``None`` if there is none."""
    try:
        body = request(client, "GET", f"sys/policies/acl/{name}")
    except VaultNotFound:
        return None
    policy = ((body or {}).get("data") or {}).get("policy")
    return policy if isinstance(policy, str) else None


def create_or_update_acl_policy(client: hvac.Client, name: str, policy: str) -> None:
    """``POST /sys/policies/acl/{name}`` with the HCL text."""
    request(client, "POST", f"sys/policies/acl/{name}", json={"policy": policy})
