"""Audit-log lines as OpenBao 2.7 writes them (shortened to the fields credbot reads, and the
password HMAC that shows secrets are not in clear), for tests that need no server."""

from __future__ import annotations

import json
import uuid
from datetime import datetime


def login_line(
    username: str,
    address: str,
    at: datetime,
    *,
    error: str | None = None,
    kind: str = "response",
    request_id: str | None = None,
    path: str | None = None,
) -> bytes:
    """One entry of ``auth/credbot/login/<username>`` (or ``path``) as one line."""
    entry: dict[str, object] = {
        "time": at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",
        "type": kind,
        "auth": {"token_type": "default"},
        "request": {
            "id": request_id or str(uuid.uuid4()),
            "operation": "update",
            "mount_point": "auth/credbot/",
            "mount_type": "userpass",
            "path": path or f"auth/credbot/login/{username}",
            "data": {"password": "hmac-sha256:75eda81e6780d686a168793f498c7d09194bc8ae"},
            "remote_address": address,
            "remote_port": 37573,
        },
    }
    if error is not None:
        entry["error"] = error
    return json.dumps(entry).encode() + b"\n"
