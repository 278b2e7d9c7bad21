"""Vault's login MFA for ``auth/credbot``: credbot's TOTP method, the enforcement that makes
every login on the mount ask for a code, each contractor's secret, and ``sys/mfa/validate``.

Only the part HashiCorp Vault CE (1.10+) and OpenBao 2.x share is used: unnamed methods (found
again through the enforcement, which has a name), ``admin-generate`` / ``admin-destroy``, and
``sys/mfa/validate`` with one passcode per method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultError, VaultNotFound
from vault.layout import MFA_GENERATE_PATH
from vault.models import WrapInfo

PERIOD = 30
DIGITS = 6
ALGORITHM = "SHA1"
KEY_SIZE = 20
"""RFC 6238 defaults every authenticator app supports; a 160-bit seed (RFC 4226's advice)."""

_METHODS = "identity/mfa/method/totp"
_ENFORCEMENTS = "identity/mfa/login-enforcement"


@dataclass(frozen=True)
class TotpMethodSettings:
    """What credbot wants its TOTP method to be. ``max_validation_attempts`` is Vault's own
    limit of wrong codes per period for one entity (it then refuses for a while)."""

    issuer: str
    max_validation_attempts: int

    def as_body(self) -> dict[str, Any]:
        """The request body of ``identity/mfa/method/totp`` for these settings."""
        return {
            "issuer": self.issuer,
            "period": PERIOD,
            "digits": DIGITS,
            "algorithm": ALGORITHM,
            "key_size": KEY_SIZE,
            "max_validation_attempts": self.max_validation_attempts,
        }

    def matches(self, current: dict[str, Any]) -> bool:
        """Whether Vault's rendering of a method (``read_totp_method``) has these settings."""
        return all(current.get(key) == value for key, value in self.as_body().items())


def create_totp_method(client: hvac.Client, settings: TotpMethodSettings) -> str:
    """``POST /identity/mfa/method/totp``: a new TOTP method; returns its ``method_id``."""
    body = request(client, "POST", _METHODS, json=settings.as_body())
    method_id = ((body or {}).get("data") or {}).get("method_id")
    if not isinstance(method_id, str):
        raise VaultError("creating the TOTP MFA method returned no method_id")
    return method_id


def read_totp_method(client: hvac.Client, method_id: str) -> dict[str, Any] | None:
    """``GET /identity/mfa/method/totp/{method_id}``: the method's settings, or ``None``."""
    try:
        body = request(client, "GET", f"{_METHODS}/{method_id}")
    except VaultNotFound:
        return None
    data = (body or {}).get("data")
    return data if isinstance(data, dict) and data.get("id") == method_id else None


def update_totp_method(client: hvac.Client, method_id: str, settings: TotpMethodSettings) -> None:
    """``POST /identity/mfa/method/totp/{method_id}`` with every setting."""
    request(client, "POST", f"{_METHODS}/{method_id}", json=settings.as_body(), retry=True)


def read_login_enforcement(client: hvac.Client, name: str) -> dict[str, Any] | None:
    """``GET /identity/mfa/login-enforcement/{name}``: the enforcement, or ``None``."""
    try:
        body = request(client, "GET", f"{_ENFORCEMENTS}/{name}")
    except VaultNotFound:
        return None
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else None


def create_or_update_login_enforcement(
    client: hvac.Client,
    name: str,
    *,
    mfa_method_ids: Sequence[str],
    auth_method_accessors: Sequence[str],
) -> None:
    """``POST /identity/mfa/login-enforcement/{name}``: every login through one of
    ``auth_method_accessors`` must then validate one of ``mfa_method_ids``."""
    request(
        client,
        "POST",
        f"{_ENFORCEMENTS}/{name}",
        json={
            "mfa_method_ids": list(mfa_method_ids),
            "auth_method_accessors": list(auth_method_accessors),
        },
        retry=True,
    )


def admin_generate_wrapped(
    client: hvac.Client, *, method_id: str, entity_id: str, wrap_ttl: timedelta
) -> WrapInfo:
    """``POST /identity/mfa/method/totp/admin-generate`` with ``X-Vault-Wrap-TTL``: Vault makes
    the entity's TOTP secret and answers only with a wrapping token whose creation path is
    ``MFA_GENERATE_PATH``, so the seed is never in credbot's hands before the contractor's.

    Raises ``VaultError`` when Vault does not wrap (the entity already has a secret: Vault then
    answers a warning and no secret).
    """
    body = request(
        client,
        "POST",
        MFA_GENERATE_PATH,
        json={"method_id": method_id, "entity_id": entity_id},
        wrap_ttl=wrap_ttl,
    )
    info = (body or {}).get("wrap_info")
    if not isinstance(info, dict) or not isinstance(info.get("token"), str):
        warnings = "; ".join(str(w) for w in (body or {}).get("warnings") or [])
        raise VaultError(f"admin-generate returned no wrapped secret ({warnings or 'no reason'})")
    return WrapInfo.from_response(info)


def admin_destroy(client: hvac.Client, *, method_id: str, entity_id: str) -> None:
    """``POST /identity/mfa/method/totp/admin-destroy``: delete the entity's secret for the
    method. Vault answers success when there is none, so this is idempotent."""
    request(
        client,
        "POST",
        "identity/mfa/method/totp/admin-destroy",
        json={"method_id": method_id, "entity_id": entity_id},
        retry=True,
    )


def validate(
    client: hvac.Client, *, mfa_request_id: str, method_id: str, passcode: str
) -> dict[str, Any]:
    """``POST /sys/mfa/validate``: finish a login that asked for MFA; returns its ``auth`` block
    (with ``client_token``).

    Raises ``MfaCodeRejected`` for a wrong or already used code (Vault does not tell the two
    apart), ``MfaAttemptsExceeded`` past the method's ``max_validation_attempts``, and
    ``VaultInvalidRequest`` for an unknown or expired request id.
    """
    body = request(
        client,
        "POST",
        "sys/mfa/validate",
        json={"mfa_request_id": mfa_request_id, "mfa_payload": {method_id: [passcode]}},
        secrets=[passcode],
    )
    auth = (body or {}).get("auth")
    if not isinstance(auth, dict) or not isinstance(auth.get("client_token"), str):
        raise VaultError("MFA validation returned no token")
    return auth
