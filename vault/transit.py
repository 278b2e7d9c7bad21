"""The transit secrets engine at ``credbot-transit``: the key that signs the audit anchor.

The private key is born in Vault and never leaves it: it is created not exportable and without
plaintext backup, and the bot's policy grants only ``sign`` and ``verify`` on it. Whoever holds
the database can therefore not forge an anchor, and neither can the bot's own code export the
key to let anyone else do so.
"""

from __future__ import annotations

import base64
from typing import Any

import hvac

from vault.client import request
from vault.errors import VaultError, VaultInvalidRequest, VaultNotFound
from vault.layout import TRANSIT_MOUNT

SIGNING_KEY_TYPE = "ed25519"
"""Deterministic signatures, small keys, no hash or padding choices to get wrong."""


def create_key(client: hvac.Client, name: str, *, mount: str = TRANSIT_MOUNT) -> None:
    """``POST /{mount}/keys/{name}``: a new ed25519 key, not exportable, no plaintext backup
    (Vault's defaults, stated so they cannot drift)."""
    request(
        client,
        "POST",
        f"{mount}/keys/{name}",
        json={"type": SIGNING_KEY_TYPE, "exportable": False, "allow_plaintext_backup": False},
    )


def read_key(
    client: hvac.Client, name: str, *, mount: str = TRANSIT_MOUNT
) -> dict[str, Any] | None:
    """``GET /{mount}/keys/{name}``: the key's settings and public keys (never a private key),
    or ``None`` when there is no such key. Admin only: the bot's policy does not allow it."""
    try:
        body = request(client, "GET", f"{mount}/keys/{name}")
    except VaultNotFound:
        return None
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else None


def sign_data(client: hvac.Client, name: str, data: bytes, *, mount: str = TRANSIT_MOUNT) -> str:
    """``POST /{mount}/sign/{name}``: Vault's signature of ``data`` (``vault:v<N>:<base64>``)."""
    body = request(
        client,
        "POST",
        f"{mount}/sign/{name}",
        json={"input": base64.b64encode(data).decode("ascii")},
        retry=True,  # a second signature of the same data is as good as the first
    )
    signature = ((body or {}).get("data") or {}).get("signature")
    if not isinstance(signature, str):
        raise VaultError(f"POST {mount}/sign/{name}: the answer carried no signature")
    return signature


def verify_signed_data(
    client: hvac.Client, name: str, data: bytes, signature: str, *, mount: str = TRANSIT_MOUNT
) -> bool:
    """``POST /{mount}/verify/{name}``: whether ``signature`` is the key's signature of ``data``.

    A signature Vault cannot even parse (Vault answers 400) is ``False``, like a wrong one: to
    the caller both mean "not signed by this key". Other failures raise.
    """
    try:
        body = request(
            client,
            "POST",
            f"{mount}/verify/{name}",
            json={"input": base64.b64encode(data).decode("ascii"), "signature": signature},
            retry=True,
        )
    except VaultInvalidRequest:
        return False
    return ((body or {}).get("data") or {}).get("valid") is True
