"""Keys left in the TOTP secrets engine at ``credbot-totp`` by accounts issued before login MFA.

credbot no longer imports keys there (``vault.login_mfa`` is the one way of doing TOTP). Until
every such account is revoked or moved over by a reissue, revocation deletes its key and reads
back that it is gone; nothing here creates a key or checks a code.
"""

from __future__ import annotations

import hvac

from vault.client import request
from vault.errors import VaultNotFound
from vault.layout import LEGACY_TOTP_MOUNT, check_username


def read_key_exists(client: hvac.Client, name: str) -> bool:
    """``GET /credbot-totp/keys/{name}``: whether the key is still there (its parameters, never
    its seed, are what Vault returns). ``False`` too when the engine is not mounted at all."""
    try:
        request(client, "GET", f"{LEGACY_TOTP_MOUNT}/keys/{check_username(name)}")
    except VaultNotFound:
        return False
    return True


def delete_key(client: hvac.Client, name: str) -> None:
    """``DELETE /credbot-totp/keys/{name}``; succeeds when the key or the engine is gone."""
    try:
        request(client, "DELETE", f"{LEGACY_TOTP_MOUNT}/keys/{check_username(name)}")
    except VaultNotFound:
        return
