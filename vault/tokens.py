"""The token auth method: the few token calls credbot makes."""

from __future__ import annotations

from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultInvalidRequest, VaultNotFound


def revoke_accessor(client: hvac.Client, accessor: str) -> bool:
    """``POST /auth/token/revoke-accessor``: revoke the token behind ``accessor``.

    Returns ``False`` when Vault no longer knows the accessor (already used, expired or
    revoked), which for a wrapping token is the normal outcome. Vault reports that as HTTP 400
    "invalid accessor", OpenBao as HTTP 200 with a warning; both mean the same here.
    """
    try:
        body = request(client, "POST", "auth/token/revoke-accessor", json={"accessor": accessor})
    except (VaultInvalidRequest, VaultNotFound):
        return False  # Vault: 400 "invalid accessor"
    warnings = (body or {}).get("warnings") or []
    # OpenBao answers 200 with the warning "No token found with this accessor".
    return not any("no token found" in str(w).lower() for w in warnings)


def lookup_self(client: hvac.Client) -> dict[str, Any]:
    """``GET /auth/token/lookup-self``: the calling token's metadata."""
    body = request(client, "GET", "auth/token/lookup-self")
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else {}


def revoke_self(client: hvac.Client) -> None:
    """``POST /auth/token/revoke-self``: end the token ``client`` holds (a contractor's token
    after credbot's enrolment login; ``credbot-pending`` allows exactly this)."""
    request(client, "POST", "auth/token/revoke-self")
