"""ACL policies: what ``credbot vault init`` writes (rendered from ``vault.policy_files``) and
``sys/policies/acl``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

import hvac

from vault.client import request, ttl
from vault.errors import VaultNotFound
from vault.layout import BOT_POLICY, PENDING_POLICY, role_policy
from vault.models import DEFAULT_TOKEN_RULES, ContractorTokenRules
from vault.policy_files import role_policy_text, shipped_policy


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


def desired_policies(values: BotPolicyValues, *, policy_dir: Path | None = None) -> dict[str, str]:
    """Every policy ``initialize`` writes, by name: bot, pending, and one per role (from
    ``policy_dir`` when it holds the role's file, else the shipped one)."""
    policies = {
        BOT_POLICY: bot_policy(values),
        PENDING_POLICY: shipped_policy(PENDING_POLICY),
    }
    for role in values.roles:
        policies[role_policy(role)] = role_policy_text(role, policy_dir)
    return policies


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
    request(client, "POST", f"sys/policies/acl/{name}", json={"policy": policy}, retry=True)
