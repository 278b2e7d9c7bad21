"""The identity secrets engine: the entity Vault creates for a contractor at first login."""

from __future__ import annotations

from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultNotFound


def lookup_entity(
    client: hvac.Client, *, alias_name: str, alias_mount_accessor: str
) -> dict[str, Any] | None:
    """``POST /identity/lookup/entity`` by alias: the entity, or ``None`` when there is none
    (Vault answers 204; the user never logged in)."""
    try:
        body = request(
            client,
            "POST",
            "identity/lookup/entity",
            json={"alias_name": alias_name, "alias_mount_accessor": alias_mount_accessor},
        )
    except VaultNotFound:
        return None
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else None


def disable_entity(client: hvac.Client, entity_id: str) -> None:
    """``POST /identity/entity/id/{id}`` with only ``disabled=true``.

    A disabled entity's tokens are refused even if one escaped lease revocation. The bot's
    policy allows exactly this parameter with exactly this value on that path.
    """
    request(client, "POST", f"identity/entity/id/{entity_id}", json={"disabled": True})
