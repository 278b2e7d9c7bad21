"""Leases: how credbot revokes every token a contractor ever obtained.

Deleting a userpass user leaves the tokens it already logged in with valid until they expire,
so revocation goes through the lease tree, by prefix, synchronously.
"""

from __future__ import annotations

import hvac

from vault.client import request
from vault.errors import VaultNotFound


def revoke_prefix(client: hvac.Client, prefix: str) -> None:
    """``POST /sys/leases/revoke-prefix/{prefix}`` with ``sync=true`` (needs ``sudo``).

    Vault matches whole path segments, so ``auth/credbot/login/ann`` does not touch ``anna``.
    Returns when Vault has revoked every lease under the prefix; a prefix without leases is
    not an error.
    """
    request(client, "POST", f"sys/leases/revoke-prefix/{prefix}", json={"sync": True}, retry=True)


def list_leases(client: hvac.Client, prefix: str) -> list[str]:
    """``LIST /sys/leases/lookup/{prefix}/`` (needs ``sudo``): live lease ids, ``[]`` if none."""
    try:
        body = request(client, "LIST", f"sys/leases/lookup/{prefix.rstrip('/')}/")
    except VaultNotFound:
        return []
    keys = ((body or {}).get("data") or {}).get("keys") or []
    return [str(k) for k in keys]
