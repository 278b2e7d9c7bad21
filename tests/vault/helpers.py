"""Small helpers shared by the Vault tests: acting as the contractor or the review tool."""

from __future__ import annotations

import hvac
import pytest

from tests.support.openbao import OpenBaoServer
from vault.client import connect
from vault.errors import VaultPermissionDenied
from vault.tokens import lookup_self
from vault.userpass import login


def contractor_login(server: OpenBaoServer, username: str, password: str) -> hvac.Client:
    """Log in as the contractor (``auth/credbot/login/<user>``) with a fresh, tokenless client."""
    client = connect(server.addr)
    client.token = login(client, username, password)
    return client


def assert_token_rejected(client: hvac.Client) -> None:
    """The client's token no longer works at all (lookup-self: 403)."""
    with pytest.raises(VaultPermissionDenied):
        lookup_self(client)
