"""``credbot vault init``: mounts, login MFA, policies and the bot's AppRole role, idempotently.

Run once with an admin token. Running it again changes nothing and says so: every step
compares what Vault has with what credbot wants and writes only the difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import hvac

from vault import approle, login_mfa, mounts, policies
from vault.anchor_setup import ensure_anchoring
from vault.approle import generate_secret_id, read_role_id, write_secret_file
from vault.client import ttl
from vault.errors import VaultSetupConflict
from vault.layout import (
    APPROLE_MOUNT,
    APPROLE_ROLE,
    AUDIT_MOUNT,
    BOT_POLICY,
    DEFAULT_ROLES,
    MFA_ENFORCEMENT,
    PENDING_MOUNT,
    TRANSIT_MOUNT,
    USERPASS_MOUNT,
    check_role,
)
from vault.login_mfa import TotpMethodSettings

__all__ = [
    "InitReport",
    "generate_secret_id",
    "initialize",
    "read_role_id",
    "write_secret_file",
]

_AUTH_MOUNTS = ((USERPASS_MOUNT, "userpass"), (APPROLE_MOUNT, "approle"))
_SECRET_MOUNTS = (
    (PENDING_MOUNT, "kv", "2"),
    (TRANSIT_MOUNT, "transit", None),
    (AUDIT_MOUNT, "kv", "2"),
)
DEFAULT_TOTP = TotpMethodSettings(issuer="credbot", max_validation_attempts=5)


@dataclass(frozen=True)
class InitReport:
    """What ``initialize`` did: ``changed`` lists what it created or rewrote, ``unchanged``
    what was already exactly as wanted (``"auth/credbot"``, ``"policy credbot-bot"``, ...)."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        """True when this run wrote anything to Vault."""
        return bool(self.changed)


def initialize(
    client: hvac.Client,
    *,
    roles: Sequence[str] = DEFAULT_ROLES,
    totp: TotpMethodSettings = DEFAULT_TOTP,
    bot_token_ttl: timedelta = timedelta(minutes=20),
    bot_token_max_ttl: timedelta = timedelta(hours=1),
    secret_id_ttl: timedelta = timedelta(days=30),
    secret_id_bound_cidrs: Sequence[str] = (),
    token_bound_cidrs: Sequence[str] = (),
) -> InitReport:
    """Enable the mounts, set up login MFA on ``auth/credbot``, create the audit anchor's
    signing key (``vault.anchor_setup``), write the shipped policies, create or update the
    AppRole role.

    ``roles`` selects the ``credbot-role-<role>.hcl`` files to install; the bot's policy then
    lets it grant exactly those. ``totp`` is credbot's TOTP login-MFA method; the enforcement
    ``credbot`` binds it to ``auth/credbot``, so every login there needs a code. Needs an
    admin token. Raises ``VaultSetupConflict`` if a mount path is taken by another engine type
    (or KV version 1) rather than overwrite it, or the signing key exists but could leave
    Vault, ``InvalidName`` for a role without a shipped policy, and the usual ``vault.errors``.
    """
    roles = [check_role(r) for r in roles]
    policies.check_role_policies(roles)  # a missing file fails here, before any write
    report = InitReport()
    _ensure_auth_mounts(client, report)
    _ensure_secret_mounts(client, report)
    for item, in_place in ensure_anchoring(client):
        _record(report, item, in_place)
    accessor = str(mounts.read_auth_method(client, USERPASS_MOUNT)["accessor"])
    method_id = _ensure_login_mfa(client, report, totp, accessor)
    wanted_policies = policies.desired_policies(
        roles, mfa_method_id=method_id, userpass_accessor=accessor
    )
    for name, text in wanted_policies.items():
        in_place = policies.read_acl_policy(client, name) == text
        _record(report, f"policy {name}", in_place)
        if not in_place:
            policies.create_or_update_acl_policy(client, name, text)
    wanted = _role_settings(
        bot_token_ttl, bot_token_max_ttl, secret_id_ttl, secret_id_bound_cidrs, token_bound_cidrs
    )
    current = approle.read_role(client)
    role_in_place = current is not None and _role_matches(current, wanted)
    _record(report, f"auth/{APPROLE_MOUNT}/role/{APPROLE_ROLE}", role_in_place)
    if not role_in_place:
        approle.create_or_update_role(client, wanted)
    return report


def _ensure_auth_mounts(client: hvac.Client, report: InitReport) -> None:
    """Enable each missing auth method; refuse a path taken by another type."""
    existing = mounts.list_auth_methods(client)
    for path, kind in _AUTH_MOUNTS:
        found = existing.get(f"{path}/")
        if found is not None and found.get("type") != kind:
            raise VaultSetupConflict(
                path=f"auth/{path}", expected=kind, actual=str(found.get("type"))
            )
        _record(report, f"auth/{path}", found is not None)
        if found is None:
            mounts.enable_auth_method(client, kind, path)


def _ensure_login_mfa(
    client: hvac.Client, report: InitReport, totp: TotpMethodSettings, accessor: str
) -> str:
    """Make credbot's TOTP method match ``totp`` and the enforcement ``credbot`` require it for
    every login through ``accessor``; return the method's id.

    The method is found again through the enforcement (methods have no name Vault CE and
    OpenBao both keep); one named by an enforcement but deleted since is created anew.
    """
    enforcement = login_mfa.read_login_enforcement(client, MFA_ENFORCEMENT) or {}
    method_ids = [str(m) for m in enforcement.get("mfa_method_ids") or []]
    current = login_mfa.read_totp_method(client, method_ids[0]) if method_ids else None
    if current is None:
        method_id = login_mfa.create_totp_method(client, totp)
    else:
        method_id = method_ids[0]
        if not totp.matches(current):
            login_mfa.update_totp_method(client, method_id, totp)
    _record(
        report, "identity/mfa/method/totp (credbot)", current is not None and totp.matches(current)
    )
    in_place = method_ids == [method_id] and list(
        enforcement.get("auth_method_accessors") or []
    ) == [accessor]
    _record(report, f"identity/mfa/login-enforcement/{MFA_ENFORCEMENT}", in_place)
    if not in_place:
        login_mfa.create_or_update_login_enforcement(
            client, MFA_ENFORCEMENT, mfa_method_ids=[method_id], auth_method_accessors=[accessor]
        )
    return method_id


def _ensure_secret_mounts(client: hvac.Client, report: InitReport) -> None:
    """Enable each missing secrets engine; refuse another type or a KV of another version."""
    existing = mounts.list_secrets_engines(client)
    for path, kind, version in _SECRET_MOUNTS:
        found = existing.get(f"{path}/")
        if found is not None:
            actual_version = str((found.get("options") or {}).get("version") or "1")
            if found.get("type") != kind or (version and actual_version != version):
                actual = f"{found.get('type')} (version {actual_version})"
                raise VaultSetupConflict(
                    path=path, expected=f"{kind} {version or ''}", actual=actual
                )
        _record(report, path, found is not None)
        if found is None:
            mounts.enable_secrets_engine(
                client, kind, path, {"version": version} if version else None
            )


def _role_settings(
    token_ttl: timedelta,
    token_max_ttl: timedelta,
    secret_id_ttl: timedelta,
    secret_id_bound_cidrs: Sequence[str],
    token_bound_cidrs: Sequence[str],
) -> dict[str, Any]:
    """The AppRole role: bot policy only (no default policy), short-lived service tokens,
    SecretIDs that expire, optional CIDR bindings for both."""
    return {
        "token_policies": [BOT_POLICY],
        "token_no_default_policy": True,
        "token_type": "service",
        "token_ttl": ttl(token_ttl),
        "token_max_ttl": ttl(token_max_ttl),
        "secret_id_ttl": ttl(secret_id_ttl),
        "secret_id_num_uses": 0,
        "bind_secret_id": True,
        "secret_id_bound_cidrs": list(secret_id_bound_cidrs),
        "token_bound_cidrs": list(token_bound_cidrs),
    }


def _role_matches(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Compare Vault's rendering of the role (TTLs in seconds) with the wanted settings."""
    for key, value in wanted.items():
        have, want = current.get(key), value
        if isinstance(want, str) and want.endswith("s") and key.endswith("ttl"):
            want = int(want[:-1])
        if isinstance(want, list):
            have, want = sorted(have or []), sorted(want)
        if have != want:
            return False
    return True


def _record(report: InitReport, item: str, in_place: bool) -> None:
    """Note ``item`` as unchanged when already in place, else as changed."""
    (report.unchanged if in_place else report.changed).append(item)
