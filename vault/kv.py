"""The KV version 2 engines: ``credbot-pending`` and ``credbot-audit``.

``credbot-pending``: secrets pass through it only to be wrapped. Vault can wrap only a response
it produces, so the secrets are written here, read back once with ``X-Vault-Wrap-TTL`` (the
wrapping token's creation path then names this exact path), and every version is destroyed
straight away. The wrapped copy lives in the wrapping token's own cubbyhole, which deleting the
KV entry does not touch.

``credbot-audit``: the audit chain's newest signed anchor, written with check-and-set on the
version read (the mount requires it), so concurrent writers cannot overwrite each other blindly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

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
        retry=True,  # one more version of the same data, read (wrapped) and deleted next
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


def read_secret_version(
    client: hvac.Client, path: str, *, mount: str
) -> tuple[dict[str, Any], int] | None:
    """``GET /{mount}/data/{path}``: the newest version's data and its version number, or
    ``None`` when there is no live version."""
    try:
        body = request(client, "GET", f"{mount}/data/{path}")
    except VaultNotFound:
        return None
    block = (body or {}).get("data") or {}
    data, metadata = block.get("data"), block.get("metadata") or {}
    if not isinstance(data, dict) or not isinstance(metadata.get("version"), int):
        raise VaultError(f"GET {mount}/data/{path}: the answer carried no versioned data")
    return data, metadata["version"]


def create_or_update_secret_cas(
    client: hvac.Client, path: str, data: Mapping[str, Any], *, cas: int, mount: str
) -> int:
    """``POST /{mount}/data/{path}`` with ``options.cas``: write a new version only if the
    newest one is still version ``cas`` (0: only if none exists); return the new version.

    Raises ``VersionConflict`` when another writer got there first.
    """
    body = request(
        client,
        "POST",
        f"{mount}/data/{path}",
        json={"data": dict(data), "options": {"cas": cas}},
    )
    version = ((body or {}).get("data") or {}).get("version")
    if not isinstance(version, int):
        raise VaultError(f"POST {mount}/data/{path}: the answer carried no version")
    return version


def read_configuration(client: hvac.Client, *, mount: str) -> dict[str, Any]:
    """``GET /{mount}/config``: the engine's settings (``cas_required``, ``max_versions``)."""
    body = request(client, "GET", f"{mount}/config")
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else {}


def configure(client: hvac.Client, *, mount: str, cas_required: bool) -> None:
    """``POST /{mount}/config``: whether every write must carry a check-and-set version."""
    request(client, "POST", f"{mount}/config", json={"cas_required": cas_required}, retry=True)
