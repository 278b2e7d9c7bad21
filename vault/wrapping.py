"""Response-wrapping tokens: ``sys/wrapping/lookup`` and ``sys/wrapping/unwrap``.

A wrapping token is single-use. A token that no longer looks up, for a delivery credbot never
unwrapped, means somebody else unwrapped it: the errors raised here say so, by class.
"""

from __future__ import annotations

from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultError, VaultInvalidRequest, VaultNotFound, WrappingTokenRejected
from vault.models import WrapInfo


def lookup(client: hvac.Client, token: str) -> WrapInfo:
    """``POST /sys/wrapping/lookup``: the token's creation path, accessor-free metadata and TTL.

    Raises ``WrappingTokenRejected`` for an unknown, expired or already-unwrapped token.
    """
    try:
        body = request(
            client,
            "POST",
            "sys/wrapping/lookup",
            json={"token": token},
            secrets=[token],
            retry=True,  # a lookup only reads; it does not use the token up
        )
    except (VaultInvalidRequest, VaultNotFound) as exc:
        raise WrappingTokenRejected(f"wrapping token lookup failed: {exc}") from None
    data = (body or {}).get("data")
    if not isinstance(data, dict):
        raise WrappingTokenRejected("wrapping token lookup returned nothing")
    return WrapInfo.from_response(data)


def unwrap(client: hvac.Client, token: str) -> dict[str, Any]:
    """``POST /sys/wrapping/unwrap``: consume the token and return the wrapped response.

    Raises ``WrappingTokenRejected`` when Vault refuses the token (it was used meanwhile).
    """
    try:
        body = request(
            client, "POST", "sys/wrapping/unwrap", json={"token": token}, secrets=[token]
        )
    except (VaultInvalidRequest, VaultNotFound) as exc:
        raise WrappingTokenRejected(f"wrapping token unwrap failed: {exc}") from None
    if not isinstance(body, dict):
        raise VaultError("unwrap returned no response")
    return body
