"""``sys/health``: whether Vault answers, is initialised and unsealed."""

from __future__ import annotations

from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultUnavailable


def read_health_status(client: hvac.Client) -> dict[str, Any]:
    """``GET /sys/health?standbyok=true&perfstandbyok=true`` (unauthenticated).

    Returns the health document of an unsealed, initialised node (active or standby). Raises
    ``VaultUnavailable`` when Vault is unreachable, sealed (503), uninitialised (501) or a DR
    secondary (reported as 503).
    """
    body = request(
        client,
        "GET",
        "sys/health",
        params={"standbyok": "true", "perfstandbyok": "true", "drsecondarycode": "503"},
        retry=False,  # a probe reports what it sees now; the next probe asks again
    )
    if not isinstance(body, dict) or body.get("sealed") or body.get("initialized") is False:
        raise VaultUnavailable("Vault is sealed or not initialised")
    return body
