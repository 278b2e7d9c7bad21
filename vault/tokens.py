"""The token auth method: the few token calls credbot makes."""

from __future__ import annotations

from typing import Any

import hvac

from vault.client import request


def lookup_self(client: hvac.Client) -> dict[str, Any]:
    """``GET /auth/token/lookup-self``: the calling token's metadata."""
    body = request(client, "GET", "auth/token/lookup-self")
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else {}


def revoke_self(client: hvac.Client) -> None:
    """``POST /auth/token/revoke-self``: end the token ``client`` holds (a contractor's token
    after credbot's enrolment login; ``credbot-pending`` allows exactly this)."""
    request(client, "POST", "auth/token/revoke-self")
