"""Locking a contractor's account without destroying it: a shared-account alert's "Lock now".

The account stays (userpass user, identity entity, MFA secret), so the admins can still decide
to reissue or offboard it, but nothing works with it: the entity is disabled first, so every
token of it is refused at once and every new login is refused (Vault checks the password, then
answers ``permission denied``), then every token of its logins is revoked. The bot's policy
allows exactly these two calls and can only set ``disabled`` to true: a lock is undone by
reissuing or offboarding the contractor, never by the bot.
"""

from __future__ import annotations

import hvac

from vault import identity, leases
from vault.layout import login_lease_prefix


class VaultLocks:
    """``bot.core.sharing.AccountLocks`` over the bot's Vault client."""

    def __init__(self, *, client: hvac.Client) -> None:
        self._client = client

    def lock_account(self, *, username: str) -> None:
        """``POST /identity/entity/name/credbot-{username}`` with ``disabled=true`` (when the
        entity exists), then ``POST /sys/leases/revoke-prefix/auth/credbot/login/{username}``
        (sync). Idempotent; raises the exceptions of ``vault.errors``."""
        if identity.read_entity_by_name(self._client, username) is not None:
            identity.disable_entity_by_name(self._client, username)
        leases.revoke_prefix(self._client, login_lease_prefix(username))
