"""Planning credbot's mounts, and the TTLs of ``auth/credbot``."""

from __future__ import annotations

import hvac

from vault import mounts
from vault.client import ttl
from vault.errors import VaultSetupConflict
from vault.layout import (
    APPROLE_MOUNT,
    AUDIT_MOUNT,
    PENDING_MOUNT,
    TRANSIT_MOUNT,
    USERPASS_MOUNT,
)
from vault.setup.plan import Apply, SetupContext, Step, create, in_place, settings_diff, update

AUTH_MOUNTS = ((USERPASS_MOUNT, "userpass"), (APPROLE_MOUNT, "approle"))
SECRET_MOUNTS = (
    (PENDING_MOUNT, "kv", "2"),
    (TRANSIT_MOUNT, "transit", None),
    (AUDIT_MOUNT, "kv", "2"),
)


def plan_mounts(client: hvac.Client, context: SetupContext) -> list[Step]:
    """A step per auth method and secrets engine credbot needs: in place, or to enable.
    Notes ``auth/credbot``'s accessor in ``context`` (now, or once enabled). Raises
    ``VaultSetupConflict`` for a path taken by another type (or a KV of another version)."""
    steps = []
    auth = mounts.list_auth_methods(client)
    for path, kind in AUTH_MOUNTS:
        found = auth.get(f"{path}/")
        if found is not None and found.get("type") != kind:
            raise VaultSetupConflict(
                path=f"auth/{path}", expected=kind, actual=str(found.get("type"))
            )
        if path == USERPASS_MOUNT and found is not None:
            context.userpass_accessor = str(found.get("accessor"))
        steps.append(
            in_place(f"auth/{path}")
            if found is not None
            else create(f"auth/{path}", _enable_auth(client, path, kind), f"{kind} auth method")
        )
    engines = mounts.list_secrets_engines(client)
    for path, kind, version in SECRET_MOUNTS:
        found = engines.get(f"{path}/")
        if found is not None:
            actual_version = str((found.get("options") or {}).get("version") or "1")
            if found.get("type") != kind or (version and actual_version != version):
                actual = f"{found.get('type')} (version {actual_version})"
                raise VaultSetupConflict(
                    path=path, expected=f"{kind} {version or ''}", actual=actual
                )
        steps.append(
            in_place(path)
            if found is not None
            else create(path, _enable_engine(client, path, kind, version), f"{kind} engine")
        )
    return steps


def plan_userpass_tuning(client: hvac.Client, context: SetupContext) -> Step:
    """``auth/credbot``'s token TTLs from the contractors' token rules: what a user gets when
    it asks for nothing, and the most any of its tokens can get, whatever a user asks for."""
    item = f"auth/{USERPASS_MOUNT} token TTLs"
    rules = context.tokens
    wanted: dict[str, object] = {
        "default_lease_ttl": int(rules.ttl.total_seconds()),
        "max_lease_ttl": int(rules.max_ttl.total_seconds()),
    }

    def apply(_: SetupContext) -> None:
        mounts.tune_auth_method(
            client,
            USERPASS_MOUNT,
            default_lease_ttl=ttl(rules.ttl),
            max_lease_ttl=ttl(rules.max_ttl),
        )

    if context.userpass_accessor is None:  # the mount is enabled in this run
        return create(item, apply, *(f"{key}: {value}s" for key, value in wanted.items()))
    diff = settings_diff(mounts.read_auth_method_tuning(client, USERPASS_MOUNT), wanted)
    return update(item, apply, diff) if diff else in_place(item)


def _enable_auth(client: hvac.Client, path: str, kind: str) -> Apply:
    def apply(context: SetupContext) -> None:
        mounts.enable_auth_method(client, kind, path)
        if path == USERPASS_MOUNT:
            context.userpass_accessor = str(mounts.read_auth_method(client, path)["accessor"])

    return apply


def _enable_engine(client: hvac.Client, path: str, kind: str, version: str | None) -> Apply:
    def apply(_: SetupContext) -> None:
        mounts.enable_secrets_engine(client, kind, path, {"version": version} if version else None)

    return apply
