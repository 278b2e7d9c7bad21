"""The userpass auth method at ``auth/credbot``: one user per contractor.

Functions are named after the Vault call they make, hvac style.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import hvac

from vault.client import request, ttl
from vault.errors import VaultNotFound
from vault.layout import USERPASS_MOUNT, check_username

LIST_PAGE_SIZE = 5000
"""Usernames per ``LIST`` page: ~100 kB of JSON; 20 pages for 100,000 users. Each extra page
costs ~1 ms on OpenBao (measured), so pages much smaller would add up."""


def create_or_update_user(
    client: hvac.Client,
    username: str,
    *,
    password: str | None = None,
    token_policies: Sequence[str] | None = None,
    token_ttl: timedelta | None = None,
    token_max_ttl: timedelta | None = None,
    token_bound_cidrs: Sequence[str] | None = None,
    token_no_default_policy: bool | None = None,
    mount: str = USERPASS_MOUNT,
) -> None:
    """``POST /auth/{mount}/users/{username}``: create the user, or update only the given fields.

    Vault's userpass update is partial, so ``activate`` can change ``token_policies`` and keep
    the TTLs and CIDR bindings chosen at issue time.
    """
    body: dict[str, Any] = {}
    if password is not None:
        body["password"] = password
    if token_policies is not None:
        body["token_policies"] = list(token_policies)
    if token_ttl is not None:
        body["token_ttl"] = ttl(token_ttl)
    if token_max_ttl is not None:
        body["token_max_ttl"] = ttl(token_max_ttl)
    if token_bound_cidrs is not None:
        body["token_bound_cidrs"] = list(token_bound_cidrs)
    if token_no_default_policy is not None:
        body["token_no_default_policy"] = token_no_default_policy
    request(
        client,
        "POST",
        f"auth/{mount}/users/{check_username(username)}",
        json=body,
        secrets=[password] if password else (),
        retry=True,  # the same settings again: nothing changes
    )


def read_user(
    client: hvac.Client, username: str, *, mount: str = USERPASS_MOUNT
) -> dict[str, Any] | None:
    """``GET /auth/{mount}/users/{username}``: the user's settings, or ``None`` if absent."""
    try:
        body = request(client, "GET", f"auth/{mount}/users/{check_username(username)}")
    except VaultNotFound:
        return None
    data = (body or {}).get("data")
    return data if isinstance(data, dict) else None


def delete_user(client: hvac.Client, username: str, *, mount: str = USERPASS_MOUNT) -> None:
    """``DELETE /auth/{mount}/users/{username}``; succeeds when the user is already gone.

    Deleting a user does not revoke the tokens it logged in with: see ``vault.leases``.
    """
    try:
        request(client, "DELETE", f"auth/{mount}/users/{check_username(username)}")
    except VaultNotFound:
        return


def iter_users(
    client: hvac.Client, *, page_size: int = LIST_PAGE_SIZE, mount: str = USERPASS_MOUNT
) -> Iterator[str]:
    """Every username in byte order, fetched one ``LIST /auth/{mount}/users?after=&limit=``
    page at a time, so a caller that consumes them as they come holds one page, not all.

    ``after``/``limit`` are OpenBao's paginated lists (since 2.0). A server that ignores them
    (HashiCorp Vault) answers the whole list the first time; every name it repeats after the
    last one seen is dropped, so the iteration still ends, with one full list in memory.
    """
    after = ""
    while True:
        page = list_users_page(client, after=after, limit=page_size, mount=mount)
        fresh = [name for name in page if name > after]
        yield from fresh
        if len(page) < page_size or not fresh:
            return
        after = fresh[-1]


def list_users_page(
    client: hvac.Client, *, after: str, limit: int, mount: str = USERPASS_MOUNT
) -> list[str]:
    """``LIST /auth/{mount}/users?after={after}&limit={limit}``: up to ``limit`` usernames
    that sort after ``after`` (``""``: from the start), sorted; ``[]`` past the end."""
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    try:
        body = request(client, "LIST", f"auth/{mount}/users", params=params)
    except VaultNotFound:
        return []
    keys = ((body or {}).get("data") or {}).get("keys") or []
    return sorted(str(k) for k in keys)


def login(
    client: hvac.Client, username: str, password: str, *, mount: str = USERPASS_MOUNT
) -> dict[str, Any]:
    """``POST /auth/{mount}/login/{username}``: the first half of a contractor's login.

    Returns Vault's ``auth`` block. With login MFA enforced on the mount (``credbot vault
    init``) it holds no token but an ``mfa_requirement``, to be finished with
    ``vault.login_mfa.validate``; ``vault.login.login_with_totp`` does both.
    Raises ``LoginRefused`` for a wrong password or an unknown user.
    """
    body = request(
        client,
        "POST",
        f"auth/{mount}/login/{check_username(username)}",
        json={"password": password},
        secrets=[password],
    )
    auth = (body or {}).get("auth")
    if not isinstance(auth, dict):
        raise VaultNotFound(f"login for {username!r} returned no auth block")
    return auth
