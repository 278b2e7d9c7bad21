"""A contractor's whole login, as the review tool does it every day: password, then a code.

credbot itself logs in as a contractor once, to prove the enrolment (``VaultAccounts.
prove_login``); the demo and the tests use the same function to show what a contractor can do.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

import hvac

from vault import login_mfa, tokens, userpass
from vault.client import with_token
from vault.errors import MfaNotEnforced, VaultError


def login_with_totp(
    client: hvac.Client, username: str, password: str, passcode: str | Callable[[], str]
) -> dict[str, Any]:
    """``POST /auth/credbot/login/{username}``, then ``POST /sys/mfa/validate`` with
    ``passcode`` for the TOTP method the login asks for. Returns the ``auth`` block (with
    ``client_token``).

    ``passcode`` may be a function that returns the code: it is called only once Vault asks
    for one, as a person types the code when prompted, so a refused password uses up no code
    (Vault takes each code once; the demo and the tests would otherwise wait for the next).

    Raises ``LoginRefused`` (wrong password), ``MfaCodeRejected`` (wrong or reused code),
    ``MfaAttemptsExceeded``, and ``MfaNotEnforced`` when the password alone was enough: that
    must never be mistaken for success, so the caller is told loudly.
    """
    auth = userpass.login(client, username, password)
    requirement = auth.get("mfa_requirement")
    if not isinstance(requirement, dict):
        escaped = auth.get("client_token")
        if isinstance(escaped, str) and escaped:
            with suppress(VaultError):
                tokens.revoke_self(with_token(client, escaped))
        raise MfaNotEnforced(username=username)
    return login_mfa.validate(
        client,
        mfa_request_id=str(requirement.get("mfa_request_id") or ""),
        method_id=_totp_method_id(requirement),
        passcode=passcode if isinstance(passcode, str) else passcode(),
    )


def _totp_method_id(requirement: dict[str, Any]) -> str:
    """The TOTP method among the requirement's constraints (credbot's enforcement has one)."""
    for constraint in (requirement.get("mfa_constraints") or {}).values():
        for method in (constraint or {}).get("any") or []:
            if method.get("type") == "totp" and isinstance(method.get("id"), str):
                return str(method["id"])
    raise VaultError("the login asked for MFA, but for no TOTP method")
