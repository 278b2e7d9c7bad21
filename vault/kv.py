"""The KV version 2 engine at ``credbot-pending``: secrets pass through it only to be wrapped.

Vault can wrap only a response it produces, so the secrets are written here, read back once
with ``X-Vault-Wrap-TTL`` (the wrapping token's creation path then names this exact path), and
every version is destroyed straight away. The wrapped copy lives in the wrapping token's own
cubbyhole, which deleting the KV entry does not touch.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import hvac

from vault.client import request
from vault.errors import VaultError, VaultNotFound
from vault.layout import pending_data_path, pending_metadata_path
from vault.models import WrapInfo


def create_or_update_secret(client: hvac.Client, username: str, data: Mapping[str, str]) -> None:
    """``POST /credbot-pending/data/{username}`` with ``{"data": data}``."""
    request(
        client,
        "POST",
        pending_data_path(username),
        json={"data": dict(data)},
        secrets=[value for value in data.values() if value != username],
    )


def read_secret_wrapped(client: hvac.Client, username: str, wrap_ttl: timedelta) -> WrapInfo:
    """``GET /credbot-pending/data/{username}`` with ``X-Vault-Wrap-TTL``: the wrapping token.

    Raises ``VaultNotFound`` if nothing is stored, ``VaultError`` if Vault did not wrap.
    """
    body = request(client, "GET", pending_data_path(username), wrap_ttl=wrap_ttl)
    info = (body or {}).get("wrap_info")
    if not isinstance(info, dict) or not isinstance(info.get("token"), str):
        raise VaultError(f"reading {pending_data_path(username)!r} returned no wrapping token")
    return WrapInfo.from_response(info)


def delete_metadata_and_all_versions(client: hvac.Client, username: str) -> None:
    """``DELETE /credbot-pending/metadata/{username}``: destroy every version; idempotent."""
    try:
        request(client, "DELETE", pending_metadata_path(username))
    except VaultNotFound:
        return
