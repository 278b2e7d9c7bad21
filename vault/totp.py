"""The TOTP secrets engine at ``credbot-totp``: one imported key per contractor.

Vault, not credbot, checks codes, so a code is rejected when used twice in its window.
"""

from __future__ import annotations

from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultNotFound
from vault.layout import TOTP_MOUNT, check_username

PERIOD = 30
DIGITS = 6
ALGORITHM = "SHA1"
"""RFC 6238 defaults: the only parameters every authenticator app supports."""


def create_key(
    client: hvac.Client,
    name: str,
    *,
    key: str,
    issuer: str,
    account_name: str,
    mount: str = TOTP_MOUNT,
) -> None:
    """``POST /{mount}/keys/{name}`` with ``generate=false``: import an existing base32 seed.

    Importing (rather than letting Vault generate) lets credbot put the seed in the same
    wrapped response as the password, so the contractor receives both in one unwrap.
    """
    request(
        client,
        "POST",
        f"{mount}/keys/{check_username(name)}",
        json={
            "generate": False,
            "key": key,
            "issuer": issuer,
            "account_name": account_name,
            "period": PERIOD,
            "digits": DIGITS,
            "algorithm": ALGORITHM,
        },
        secrets=[key],
    )


def read_key(client: hvac.Client, name: str, *, mount: str = TOTP_MOUNT) -> dict[str, Any] | None:
    """``GET /{mount}/keys/{name}``: the key's parameters (never the seed), or ``None``."""
    try:
        body = request(client, "GET", f"{mount}/keys/{check_username(name)}")
    except VaultNotFound:
        return None
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else None


def delete_key(client: hvac.Client, name: str, *, mount: str = TOTP_MOUNT) -> None:
    """``DELETE /{mount}/keys/{name}``; succeeds when the key is already gone."""
    try:
        request(client, "DELETE", f"{mount}/keys/{check_username(name)}")
    except VaultNotFound:
        return


def validate_code(client: hvac.Client, name: str, code: str, *, mount: str = TOTP_MOUNT) -> bool:
    """``POST /{mount}/code/{name}``: whether ``code`` is valid now (Vault allows one step of
    skew either side).

    Raises ``TotpCodeReused`` when Vault answers 400 "code already used", ``VaultNotFound``
    when there is no such key.
    """
    body = request(
        client, "POST", f"{mount}/code/{check_username(name)}", json={"code": code}, secrets=[code]
    )
    return bool(((body or {}).get("data") or {}).get("valid", False))
