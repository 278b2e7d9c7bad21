"""Planning the bot's AppRole role ``credbot``: the bot policy only (no default policy),
short-lived service tokens, secret IDs that expire, optional CIDR bindings for both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import hvac

from vault import approle
from vault.client import ttl
from vault.layout import APPROLE_MOUNT, APPROLE_ROLE, BOT_POLICY
from vault.setup.plan import SetupContext, Step, create, in_place, settings_diff, update

ITEM = f"auth/{APPROLE_MOUNT}/role/{APPROLE_ROLE}"


@dataclass(frozen=True)
class AppRoleRules:
    """The bot's own AppRole login."""

    token_ttl: timedelta = timedelta(minutes=20)
    token_max_ttl: timedelta = timedelta(hours=1)
    secret_id_ttl: timedelta = timedelta(days=30)
    secret_id_bound_cidrs: Sequence[str] = ()
    token_bound_cidrs: Sequence[str] = ()

    def as_body(self) -> dict[str, Any]:
        """The role's settings as ``auth/approle/role/credbot`` takes them."""
        return {
            "token_policies": [BOT_POLICY],
            "token_no_default_policy": True,
            "token_type": "service",
            "token_ttl": ttl(self.token_ttl),
            "token_max_ttl": ttl(self.token_max_ttl),
            "secret_id_ttl": ttl(self.secret_id_ttl),
            "secret_id_num_uses": 0,
            "bind_secret_id": True,
            "secret_id_bound_cidrs": list(self.secret_id_bound_cidrs),
            "token_bound_cidrs": list(self.token_bound_cidrs),
        }


DEFAULT_APPROLE_RULES = AppRoleRules()


def plan_role(client: hvac.Client, rules: AppRoleRules) -> Step:
    """The role: to create, in place, or to update (with what differs)."""
    wanted = rules.as_body()

    def write(_: SetupContext) -> None:
        approle.create_or_update_role(client, wanted)

    current = approle.read_role(client)
    if current is None:
        return create(ITEM, write, f"policies {wanted['token_policies']}")
    diff = settings_diff(_comparable(current), _comparable(wanted))
    return update(ITEM, write, diff) if diff else in_place(ITEM)


def _comparable(settings: dict[str, Any]) -> dict[str, object]:
    """Vault renders TTLs in seconds and lists in its own order: compare like with like."""
    out: dict[str, object] = {}
    for key, value in settings.items():
        if isinstance(value, str) and value.endswith("s") and key.endswith("ttl"):
            out[key] = int(value[:-1])
        else:
            out[key] = sorted(value) if isinstance(value, list) else value
    return out
