"""Auth methods and secrets engines: ``sys/auth`` and ``sys/mounts``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultInvalidRequest, VaultNotFound

KV_UPGRADE_WAIT_S = 10.0
"""How long a new KV version 2 engine may take to answer after it is mounted."""
KV_UPGRADING = "Upgrading from non-versioned to versioned data"
"""What a KV version 2 engine answers (400) until it has set itself up after mounting."""


def list_auth_methods(client: hvac.Client) -> dict[str, dict[str, Any]]:
    """``GET /sys/auth``: enabled auth methods keyed by path with a trailing slash."""
    return _mount_table(request(client, "GET", "sys/auth"))


def list_secrets_engines(client: hvac.Client) -> dict[str, dict[str, Any]]:
    """``GET /sys/mounts``: enabled secrets engines keyed by path with a trailing slash."""
    return _mount_table(request(client, "GET", "sys/mounts"))


def read_auth_method(client: hvac.Client, path: str) -> dict[str, Any]:
    """``GET /sys/auth/{path}`` (needs ``sudo``): one auth method, with its ``accessor``.

    Raises ``VaultNotFound`` when nothing is mounted there (Vault answers 400 "No auth engine
    at ...", which ``vault.client.translate`` maps) or ``VaultPermissionDenied``.
    """
    body = request(client, "GET", f"sys/auth/{path}")
    data = (body or {}).get("data") or body
    if not isinstance(data, dict) or "accessor" not in data:
        raise VaultNotFound(f"no auth method at auth/{path}")
    return data


def enable_auth_method(client: hvac.Client, method_type: str, path: str) -> None:
    """``POST /sys/auth/{path}`` with ``{"type": method_type}``."""
    request(client, "POST", f"sys/auth/{path}", json={"type": method_type})


def enable_secrets_engine(
    client: hvac.Client, backend_type: str, path: str, options: Mapping[str, str] | None = None
) -> None:
    """``POST /sys/mounts/{path}`` with ``{"type": backend_type, "options": options}``.

    A KV version 2 engine sets itself up after the mount returns and refuses requests until
    then ("Upgrading from non-versioned to versioned data", 400): wait here until it answers
    ``GET /{path}/config`` (at most ``KV_UPGRADE_WAIT_S``), so the next call can use it."""
    body: dict[str, Any] = {"type": backend_type}
    if options:
        body["options"] = dict(options)
    request(client, "POST", f"sys/mounts/{path}", json=body)
    if backend_type == "kv" and (options or {}).get("version") == "2":
        _wait_until_kv_ready(client, path)


def _wait_until_kv_ready(client: hvac.Client, path: str) -> None:
    """Poll ``GET /{path}/config`` while the engine says it is upgrading; re-raise that
    refusal after ``KV_UPGRADE_WAIT_S``."""
    deadline = time.monotonic() + KV_UPGRADE_WAIT_S
    while True:
        try:
            request(client, "GET", f"{path}/config")
            return
        except VaultInvalidRequest as exc:
            if KV_UPGRADING not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def read_auth_method_tuning(client: hvac.Client, path: str) -> dict[str, Any]:
    """``GET /sys/auth/{path}/tune``: the method's TTLs (seconds) and other tunables."""
    body = request(client, "GET", f"sys/auth/{path}/tune")
    data = (body or {}).get("data") or body
    return data if isinstance(data, dict) else {}


def tune_auth_method(
    client: hvac.Client, path: str, *, default_lease_ttl: str, max_lease_ttl: str
) -> None:
    """``POST /sys/auth/{path}/tune``: the TTLs of every token the method issues, whatever a
    user of it asks for (``max_lease_ttl`` caps them)."""
    request(
        client,
        "POST",
        f"sys/auth/{path}/tune",
        json={"default_lease_ttl": default_lease_ttl, "max_lease_ttl": max_lease_ttl},
        retry=True,
    )


def _mount_table(body: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Vault returns mounts both top-level and under ``data``; use ``data`` when present."""
    table = (body or {}).get("data") or body or {}
    return {k: v for k, v in table.items() if k.endswith("/") and isinstance(v, dict)}
