"""ACL policies: the shipped ``vault/policies/*.hcl`` files and ``sys/policies/acl``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from string import Template

import hvac

from vault.client import request
from vault.errors import InvalidName, VaultNotFound
from vault.layout import BOT_POLICY, PENDING_POLICY, role_policy


def shipped_policy(name: str) -> str:
    """The text of ``vault/policies/{name}.hcl``; ``InvalidName`` if credbot ships no such file."""
    path = resources.files("vault").joinpath("policies", f"{name}.hcl")
    if not path.is_file():
        raise InvalidName(f"no shipped policy file {name}.hcl")
    return path.read_text(encoding="utf-8")


def bot_policy(roles: Sequence[str], *, mfa_method_id: str, userpass_accessor: str) -> str:
    """``credbot-bot.hcl`` rendered for ``roles``: the bot may grant ``credbot-pending`` or one of
    these roles' policies, each as a one-element ``token_policies`` list, and nothing else; it
    may generate and destroy MFA secrets of ``mfa_method_id`` only, and create entity aliases
    on the mount with ``userpass_accessor`` only."""
    names = [PENDING_POLICY, *(role_policy(r) for r in roles)]
    choices = ", ".join(f"[{json.dumps(n)}]" for n in names)
    return Template(shipped_policy(BOT_POLICY)).substitute(
        token_policy_choices=choices,
        mfa_method_id=json.dumps(mfa_method_id),
        userpass_accessor=json.dumps(userpass_accessor),
    )


def desired_policies(
    roles: Sequence[str], *, mfa_method_id: str, userpass_accessor: str
) -> dict[str, str]:
    """Every policy ``initialize`` writes, by name: bot, pending, and one per role."""
    policies = {
        BOT_POLICY: bot_policy(
            roles, mfa_method_id=mfa_method_id, userpass_accessor=userpass_accessor
        ),
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
