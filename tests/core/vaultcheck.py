"""What a contractor (or the review tool) can do in Vault with given credentials."""

from __future__ import annotations

import hvac
import hvac.exceptions

from vault.layout import USERPASS_MOUNT


def login(addr: str, username: str, password: str) -> hvac.Client:
    """Log in like the review tool does; raises ``hvac.exceptions.InvalidRequest`` on failure."""
    client = hvac.Client(url=addr)
    client.auth.userpass.login(username=username, password=password, mount_point=USERPASS_MOUNT)
    return client


def login_fails(addr: str, username: str, password: str) -> bool:
    try:
        login(addr, username, password)
    except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden):
        return True
    return False


def token_policies(client: hvac.Client) -> list[str]:
    return list(client.auth.token.lookup_self()["data"]["policies"])


def token_rejected(client: hvac.Client) -> bool:
    try:
        client.auth.token.lookup_self()
    except hvac.exceptions.Forbidden:
        return True
    return False
