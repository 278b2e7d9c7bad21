"""Issue → unwrap → login → activate, against the shared OpenBao server with the bot policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from bot.core.interfaces import VaultBackend
from tests.support.openbao import OpenBaoServer, accounts_for
from tests.vault.helpers import contractor_login
from vault import totp, userpass
from vault.accounts import VaultAccounts
from vault.client import request
from vault.errors import (
    InvalidName,
    UsernameTaken,
    VaultNotFound,
    VaultPermissionDenied,
    WrappingTokenRejected,
    WrappingTokenTampered,
)
from vault.layout import PENDING_POLICY
from vault.mounts import enable_secrets_engine, list_secrets_engines
from vault.tokens import lookup_self

WRAP = timedelta(minutes=5)


def test_issue_then_unwrap_returns_the_secrets(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    username = make_username("ann")
    before = datetime.now(UTC)
    issued = vault_accounts.issue_account(username=username, wrap_ttl=WRAP)

    assert issued.username == username
    assert issued.creation_path == f"credbot-pending/data/{username}"
    assert before + WRAP - timedelta(seconds=5) <= issued.wrap_expires_at
    assert issued.wrap_expires_at <= datetime.now(UTC) + WRAP + timedelta(seconds=5)
    assert issued.wrapping_token not in repr(issued)

    secrets_ = vault_accounts.unwrap_account(
        username=username, wrapping_token=issued.wrapping_token
    )
    assert secrets_.username == username
    assert len(secrets_.password) >= 32
    assert len(secrets_.totp_secret) == 32
    assert pyotp.parse_uri(secrets_.totp_uri).secret == secrets_.totp_secret
    assert "issuer=credbot" in secrets_.totp_uri
    assert secrets_.password not in repr(secrets_)
    assert secrets_.totp_secret not in repr(secrets_)

    # The user is pending with bounded TTLs, the key has RFC 6238 defaults, and no KV copy is left.
    root = openbao.root_client()
    user = userpass.read_user(root, username)
    assert user is not None
    assert user["token_policies"] == [PENDING_POLICY]
    assert user["token_no_default_policy"] is True
    assert user["token_ttl"] > 0
    assert user["token_max_ttl"] >= user["token_ttl"]
    key = totp.read_key(root, username)
    assert key is not None
    assert (key["period"], key["digits"], key["algorithm"]) == (30, 6, "SHA1")
    assert key["account_name"] == username
    assert key["issuer"] == "credbot"
    with pytest.raises(VaultNotFound):
        request(root, "GET", f"credbot-pending/metadata/{username}")


def test_second_unwrap_is_rejected(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    username = make_username("bo")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    vault_accounts.unwrap_account(username=username, wrapping_token=issued.wrapping_token)
    with pytest.raises(WrappingTokenRejected) as caught:
        vault_accounts.unwrap_account(username=username, wrapping_token=issued.wrapping_token)
    assert not isinstance(caught.value, WrappingTokenTampered)


def test_unknown_token_is_rejected(vault_accounts: VaultAccounts) -> None:
    with pytest.raises(WrappingTokenRejected):
        vault_accounts.unwrap_account(username="nobody", wrapping_token="s.notarealtoken")


def test_token_wrapped_elsewhere_is_tampered(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    username = make_username("cy")
    root = openbao.root_client()
    forged = root.adapter.request(
        "POST", "/v1/sys/wrapping/wrap", json={"password": "attacker-chosen"}, wrap_ttl="300s"
    )
    token = forged["wrap_info"]["token"]
    with pytest.raises(WrappingTokenTampered) as caught:
        vault_accounts.unwrap_account(username=username, wrapping_token=token)
    assert caught.value.expected_path == f"credbot-pending/data/{username}"
    assert caught.value.actual_path == "sys/wrapping/wrap"
    # A tampered token is left alone (still unwrappable by whoever investigates).
    assert root.adapter.request("POST", "/v1/sys/wrapping/lookup", json={"token": token})


def test_token_of_another_user_is_tampered(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    first, second = make_username("dee"), make_username("eve")
    issued = vault_accounts.issue_account(username=first, wrap_ttl=WRAP)
    with pytest.raises(WrappingTokenTampered):
        vault_accounts.unwrap_account(username=second, wrapping_token=issued.wrapping_token)
    # The rightful owner can still unwrap it.
    vault_accounts.unwrap_account(username=first, wrapping_token=issued.wrapping_token)


def test_pending_login_grants_nothing_until_activated(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    recording = review_recording(openbao)
    username = make_username("fay")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    secret = vault_accounts.unwrap_account(username=username, wrapping_token=issued.wrapping_token)

    pending = contractor_login(openbao, username, secret.password)
    with pytest.raises(VaultPermissionDenied):
        lookup_self(pending)
    with pytest.raises(VaultPermissionDenied):
        request(pending, "GET", recording)

    vault_accounts.activate_account(username=username, role="reviewer")
    with pytest.raises(VaultPermissionDenied):
        request(pending, "GET", recording)  # tokens from before activation stay pending
    active = contractor_login(openbao, username, secret.password)
    info = lookup_self(active)
    assert info["policies"] == ["credbot-role-reviewer"]
    body = request(active, "GET", recording)
    assert body is not None
    assert body["data"]["data"] == {"audio": "clip-1"}
    with pytest.raises(VaultPermissionDenied):
        request(active, "POST", recording, json={"data": {"audio": "overwritten"}})

    user = userpass.read_user(openbao.root_client(), username)
    assert user is not None
    assert user["token_ttl"] > 0  # TTLs survive activation
    assert user["token_no_default_policy"] is True


def review_recording(server: OpenBaoServer) -> str:
    """Mount a KV v2 engine at ``review/`` (once) holding one recording; return its path."""
    root = server.root_client()
    if "review/" not in list_secrets_engines(root):
        enable_secrets_engine(root, "kv", "review", {"version": "2"})
    request(root, "POST", "review/data/recording-1", json={"data": {"audio": "clip-1"}})
    return "review/data/recording-1"


def test_issue_refuses_an_existing_user(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    username = make_username("gil")
    vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    with pytest.raises(UsernameTaken):
        vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    assert username in vault_accounts.list_accounts()  # the original survives the refusal


@pytest.mark.parametrize("bad", ["", "Ann", "a/b", "../x", "a" * 65, "-a", "a b"])
def test_unsafe_usernames_never_reach_vault(vault_accounts: VaultAccounts, bad: str) -> None:
    with pytest.raises(InvalidName):
        vault_accounts.issue_account(username=bad, wrap_ttl=WRAP)


def test_list_accounts_shows_created_and_not_deleted(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    kept, gone = make_username("hal"), make_username("ivy")
    vault_accounts.issue_account(username=kept, wrap_ttl=WRAP)
    vault_accounts.issue_account(username=gone, wrap_ttl=WRAP)
    vault_accounts.revoke_account(username=gone)
    accounts = vault_accounts.list_accounts()
    assert kept in accounts
    assert gone not in accounts
    assert accounts == sorted(accounts)


def test_list_accounts_is_empty_on_a_fresh_mount(throwaway_openbao: OpenBaoServer) -> None:
    assert accounts_for(throwaway_openbao).list_accounts() == []


def test_vault_accounts_is_the_cores_vault_backend(vault_accounts: VaultAccounts) -> None:
    backend: VaultBackend = vault_accounts
    assert backend is vault_accounts
