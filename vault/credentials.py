"""The bot's own credentials: how long its token and its AppRole secret ID have left.

An operator must rotate the secret ID (``credbot vault rotate-secret-id``) before it expires,
or the bot cannot log in again once its token runs out; ``credbot serve`` exports both lives
on ``/metrics`` so that an alert fires days before.

Why ``secret-id/lookup``: neither the AppRole login's answer (``auth.metadata`` holds only the
role name; ``lease_duration`` is the token's) nor ``auth/token/lookup-self`` (the same metadata)
says when the secret ID expires. The lookup does, and the bot's policy may call it for its own
role only; it needs the secret ID itself, so it tells the bot nothing about any secret ID it
does not already hold (see ``credbot-bot.hcl``).
"""

from __future__ import annotations

import hvac

from vault.approle import lookup_secret_id
from vault.client import AppRoleClient
from vault.models import CredentialLifetimes
from vault.tokens import lookup_self


def read_credential_lifetimes(client: hvac.Client) -> CredentialLifetimes:
    """``GET auth/token/lookup-self`` and, for an :class:`AppRoleClient`, ``POST auth/approle/
    role/credbot/secret-id/lookup`` with the secret ID it logs in with. A secret ID Vault no
    longer knows counts as expired now. Raises the usual ``vault.errors`` (a policy from before
    this lookup: ``VaultPermissionDenied``)."""
    token = lookup_self(client)
    if not isinstance(client, AppRoleClient):
        return CredentialLifetimes.from_lookups(token, None)
    secret_id = lookup_secret_id(client, client.secret_id)
    if secret_id is None:
        secret_id = {"expiration_time": "1970-01-01T00:00:00Z"}  # gone: it logs in no more
    return CredentialLifetimes.from_lookups(token, secret_id)
