"""Planning credbot's TOTP login-MFA method and the enforcement that binds it to every login
on ``auth/credbot``."""

from __future__ import annotations

import hvac

from vault import login_mfa
from vault.layout import MFA_ENFORCEMENT
from vault.login_mfa import TotpMethodSettings
from vault.setup.plan import (
    PLACEHOLDER,
    SetupContext,
    Step,
    create,
    in_place,
    settings_diff,
    update,
)

METHOD_ITEM = "identity/mfa/method/totp (credbot)"
ENFORCEMENT_ITEM = f"identity/mfa/login-enforcement/{MFA_ENFORCEMENT}"


def plan_login_mfa(
    client: hvac.Client, context: SetupContext, totp: TotpMethodSettings
) -> list[Step]:
    """The method (found again through the enforcement: methods have no name Vault CE and
    OpenBao both keep; one named by an enforcement but deleted since is made anew) and the
    enforcement. Notes the method's id in ``context`` (now, or once created)."""
    enforcement = login_mfa.read_login_enforcement(client, MFA_ENFORCEMENT)
    method_ids = [str(m) for m in (enforcement or {}).get("mfa_method_ids") or []]
    current = login_mfa.read_totp_method(client, method_ids[0]) if method_ids else None
    if current is not None:
        context.mfa_method_id = method_ids[0]
    return [_method(client, context, totp, current), _enforcement(client, context, enforcement)]


def _method(
    client: hvac.Client,
    context: SetupContext,
    totp: TotpMethodSettings,
    current: dict[str, object] | None,
) -> Step:
    def create_method(ctx: SetupContext) -> None:
        ctx.mfa_method_id = login_mfa.create_totp_method(client, totp)

    def update_method(ctx: SetupContext) -> None:
        login_mfa.update_totp_method(client, str(ctx.mfa_method_id), totp)

    if current is None:
        details = (f"{key}: {value!r}" for key, value in totp.as_body().items())
        return create(METHOD_ITEM, create_method, *details)
    diff = settings_diff(current, totp.as_body())
    return update(METHOD_ITEM, update_method, diff) if diff else in_place(METHOD_ITEM)


def _enforcement(
    client: hvac.Client, context: SetupContext, current: dict[str, object] | None
) -> Step:
    def write(ctx: SetupContext) -> None:
        login_mfa.create_or_update_login_enforcement(
            client,
            MFA_ENFORCEMENT,
            mfa_method_ids=[str(ctx.mfa_method_id)],
            auth_method_accessors=[str(ctx.userpass_accessor)],
        )

    wanted: dict[str, object] = {
        "mfa_method_ids": [context.mfa_method_id or PLACEHOLDER],
        "auth_method_accessors": [context.userpass_accessor or PLACEHOLDER],
    }
    if current is None:
        return create(ENFORCEMENT_ITEM, write, "every login on auth/credbot needs a TOTP code")
    diff = settings_diff(current, wanted)
    return update(ENFORCEMENT_ITEM, write, diff) if diff else in_place(ENFORCEMENT_ITEM)
