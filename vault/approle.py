"""The AppRole auth method: the bot's own machine login (role ``credbot``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultError, VaultNotFound
from vault.layout import APPROLE_MOUNT, APPROLE_ROLE


def read_role(
    client: hvac.Client, *, role: str = APPROLE_ROLE, mount: str = APPROLE_MOUNT
) -> dict[str, Any] | None:
    """``GET /auth/{mount}/role/{role}``: the role's settings, or ``None`` if absent."""
    try:
        body = request(client, "GET", f"auth/{mount}/role/{role}")
    except VaultNotFound:
        return None
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else None


def create_or_update_role(
    client: hvac.Client,
    settings: dict[str, Any],
    *,
    role: str = APPROLE_ROLE,
    mount: str = APPROLE_MOUNT,
) -> None:
    """``POST /auth/{mount}/role/{role}`` with ``settings``."""
    request(client, "POST", f"auth/{mount}/role/{role}", json=settings, retry=True)


def read_role_id(
    client: hvac.Client, *, role: str = APPROLE_ROLE, mount: str = APPROLE_MOUNT
) -> str:
    """``GET /auth/{mount}/role/{role}/role-id``: the role's (non-secret) RoleID."""
    body = request(client, "GET", f"auth/{mount}/role/{role}/role-id")
    role_id = ((body or {}).get("data") or {}).get("role_id")
    if not isinstance(role_id, str):
        raise VaultError(f"no role_id for AppRole role {role!r}")
    return role_id


def generate_secret_id(
    client: hvac.Client, *, role: str = APPROLE_ROLE, mount: str = APPROLE_MOUNT
) -> tuple[str, str]:
    """``POST /auth/{mount}/role/{role}/secret-id``: a fresh SecretID and its accessor.

    The SecretID is a credential: hand it straight to :func:`write_secret_file` or the
    deployment's secret store, never to a log.
    """
    body = request(client, "POST", f"auth/{mount}/role/{role}/secret-id")
    data = (body or {}).get("data") or {}
    secret_id, accessor = data.get("secret_id"), data.get("secret_id_accessor")
    if not isinstance(secret_id, str) or not isinstance(accessor, str):
        raise VaultError(f"Vault returned no secret_id for AppRole role {role!r}")
    return secret_id, accessor


def lookup_secret_id(
    client: hvac.Client, secret_id: str, *, role: str = APPROLE_ROLE, mount: str = APPROLE_MOUNT
) -> dict[str, Any] | None:
    """``POST /auth/{mount}/role/{role}/secret-id/lookup``: what Vault knows of ``secret_id``
    (``expiration_time``, ``secret_id_ttl``, ...), or ``None`` when it does not know it. The
    secret ID travels in the body only and never reaches an error message."""
    try:
        body = request(
            client,
            "POST",
            f"auth/{mount}/role/{role}/secret-id/lookup",
            json={"secret_id": secret_id},
            secrets=[secret_id],
        )
    except VaultNotFound:
        return None
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else None


def list_secret_id_accessors(
    client: hvac.Client, *, role: str = APPROLE_ROLE, mount: str = APPROLE_MOUNT
) -> list[str]:
    """``LIST /auth/{mount}/role/{role}/secret-id``: the accessors of every live SecretID."""
    try:
        body = request(client, "LIST", f"auth/{mount}/role/{role}/secret-id")
    except VaultNotFound:
        return []
    return [str(key) for key in ((body or {}).get("data") or {}).get("keys") or []]


def destroy_secret_id_accessor(
    client: hvac.Client, accessor: str, *, role: str = APPROLE_ROLE, mount: str = APPROLE_MOUNT
) -> None:
    """``POST /auth/{mount}/role/{role}/secret-id-accessor/destroy``: that SecretID no longer
    logs in (tokens it already got live out their short TTL)."""
    request(
        client,
        "POST",
        f"auth/{mount}/role/{role}/secret-id-accessor/destroy",
        json={"secret_id_accessor": accessor},
    )


def write_secret_file(path: Path, secret: str) -> None:
    """Write ``secret`` to a new file readable by its owner only (mode 0600).

    Refuses to overwrite an existing file (``FileExistsError``): replacing a credential file
    should be a deliberate act. The mode is set at creation, so the secret is never readable
    by others, not even for an instant.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
