"""The identity secrets engine: the entity (and its alias) credbot creates for each contractor.

The entity is named ``credbot-<username>`` and addressed by that name only, so the bot's policy
can confine it to ``identity/entity/name/credbot-*``: it cannot read, disable or delete anyone
else's entity. The entity is what carries the contractor's login-MFA secret.
"""

from __future__ import annotations

from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultError, VaultNotFound
from vault.layout import entity_name


def create_entity_by_name(client: hvac.Client, username: str) -> str:
    """``POST /identity/entity/name/credbot-{username}`` with ``metadata.username``; returns
    the new entity's id. (On an existing name Vault updates it and answers 204: the caller
    checks first, and this raises ``VaultError`` rather than return another entity's id.)"""
    body = request(
        client,
        "POST",
        f"identity/entity/name/{entity_name(username)}",
        json={"metadata": {"username": username}},
    )
    entity_id = ((body or {}).get("data") or {}).get("id")
    if not isinstance(entity_id, str):
        raise VaultError(f"entity {entity_name(username)!r} already existed")
    return entity_id


def read_entity_by_name(client: hvac.Client, username: str) -> dict[str, Any] | None:
    """``GET /identity/entity/name/credbot-{username}``: the entity, or ``None``."""
    try:
        body = request(client, "GET", f"identity/entity/name/{entity_name(username)}")
    except VaultNotFound:
        return None
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else None


def disable_entity_by_name(client: hvac.Client, username: str) -> None:
    """``POST /identity/entity/name/credbot-{username}`` with only ``disabled=true``: every
    token of the entity is refused at once, even one that escaped lease revocation. Only call
    it for an entity that exists (on a missing name Vault would create a disabled one)."""
    request(
        client,
        "POST",
        f"identity/entity/name/{entity_name(username)}",
        json={"disabled": True},
        retry=True,
    )


def delete_entity_by_name(client: hvac.Client, username: str) -> None:
    """``DELETE /identity/entity/name/credbot-{username}``: the entity, its aliases and its MFA
    secrets; Vault answers 204 whether or not it existed."""
    request(client, "DELETE", f"identity/entity/name/{entity_name(username)}")


def create_entity_alias(
    client: hvac.Client, *, username: str, canonical_id: str, mount_accessor: str
) -> str:
    """``POST /identity/entity-alias``: bind the userpass user ``username`` on the mount with
    ``mount_accessor`` to the entity ``canonical_id``, so logins as that user are that entity
    (and meet its MFA secret). Returns the alias id."""
    body = request(
        client,
        "POST",
        "identity/entity-alias",
        json={"name": username, "canonical_id": canonical_id, "mount_accessor": mount_accessor},
    )
    alias_id = ((body or {}).get("data") or {}).get("id")
    if not isinstance(alias_id, str):
        raise VaultError(f"creating the entity alias for {username!r} returned no id")
    return alias_id
