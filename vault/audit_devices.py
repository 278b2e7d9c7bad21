"""Vault's audit devices: whether a file device is on, and the server stanza that turns one on.

OpenBao 2.x refuses to enable audit devices through the API (``sys/audit`` is read-only
there); they are declared in the server's configuration instead, which ``bao server -dev
-config=FILE`` reads too. HashiCorp Vault accepts either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import hvac

from vault.client import request


@dataclass(frozen=True)
class AuditDevice:
    """One enabled audit device: its path (name), type and, for a file, where it writes."""

    path: str
    type: str
    file_path: str | None = None


def file_stanza(file_path: Path | str, *, name: str = "credbot") -> str:
    """The server configuration that turns on a file audit device writing to ``file_path``."""
    return f'audit "file" "{name}" {{\n  options {{\n    file_path = "{file_path}"\n  }}\n}}\n'


def list_audit_devices(client: hvac.Client) -> list[AuditDevice]:
    """``GET /sys/audit`` (needs ``sudo`` on ``sys/audit``): the enabled devices, sorted by
    path. Raises the exceptions of ``vault.errors`` (``VaultPermissionDenied`` for a token
    that may not read them)."""
    body = request(client, "GET", "sys/audit") or {}
    devices = body.get("data") if isinstance(body.get("data"), dict) else body
    found = []
    for path, device in sorted((devices or {}).items()):
        if not isinstance(device, dict) or "type" not in device:
            continue
        options = device.get("options") or {}
        found.append(
            AuditDevice(path=path, type=str(device["type"]), file_path=options.get("file_path"))
        )
    return found
