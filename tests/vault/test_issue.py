"""Issue → unwrap → prove a login → activate, against the shared OpenBao server with the bot
policy. Every login on credbot's mount needs the password and a TOTP code (login MFA)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from bot.core.interfaces import VaultBackend
from tests.support.contractor import (
    fresh_code,
    login,
    password_alone_opens_nothing,
    wrong_code,
)
from tests.support.openbao import OpenBaoServer
from vault import identity, userpass
from vault.accounts import VaultAccounts
from vault.client import request
from vault.errors import (
    InvalidName,
    LoginRefused,
    MfaCodeRejected,
    UsernameTaken,
    VaultNotFound,
    VaultPermissionDenied,
    WrappingTokenRejected,
    WrappingTokenTampered,
)
from vault.layout import MFA_GENERATE_PATH, PENDING_POLICY
from vault.models import Delivery
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
    assert before + WRAP - timedelta(seconds=5) <= issued.wrap_expires_at
    assert issued.wrap_expires_at <= datetime.now(UTC) + WRAP + timedelta(seconds=5)
    assert issued.delivery.password not in repr(issued)
    assert issued.delivery.mfa_secret not in repr(issued)
    root = openbao.root_client()
    paths = [
        request(root, "POST", "sys/wrapping/lookup", json={"token": token})["data"]["creation_path"]  # type: ignore[index]
        for token in (issued.delivery.password, issued.delivery.mfa_secret)
    ]
    assert paths == [f"credbot-pending/data/{username}", MFA_GENERATE_PATH]

    secrets_ = vault_accounts.unwrap_account(username=username, delivery=issued.delivery)
    assert secrets_.username == username
    assert len(secrets_.password) >= 32
    assert len(secrets_.totp_secret) == 32  # Vault's 160-bit seed, base32
    totp = pyotp.parse_uri(secrets_.totp_uri)
    assert isinstance(totp, pyotp.TOTP)
    assert (totp.secret, totp.digits, totp.interval) == (secrets_.totp_secret, 6, 30)
    assert (totp.issuer, totp.name) == ("credbot", username)  # not Vault's entity-id label
    assert secrets_.password not in repr(secrets_)
    assert secrets_.totp_secret not in repr(secrets_)

    # The user is pending with bounded TTLs, its entity is credbot's, and no KV copy is left.
    user = userpass.read_user(root, username)
    assert user is not None
    assert user["token_policies"] == [PENDING_POLICY]
    assert user["token_no_default_policy"] is True
    assert user["token_ttl"] > 0
    assert user["token_max_ttl"] >= user["token_ttl"]
    entity = identity.read_entity_by_name(root, username)
    assert entity is not None
    assert [alias["name"] for alias in entity["aliases"]] == [username]
    assert entity["policies"] == []
    with pytest.raises(VaultNotFound):
        request(root, "GET", f"credbot-pending/metadata/{username}")


def test_second_unwrap_is_rejected(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    username = make_username("bo")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    vault_accounts.unwrap_account(username=username, delivery=issued.delivery)
    with pytest.raises(WrappingTokenRejected) as caught:
        vault_accounts.unwrap_account(username=username, delivery=issued.delivery)
    assert not isinstance(caught.value, WrappingTokenTampered)


def test_unknown_token_is_rejected(vault_accounts: VaultAccounts) -> None:
    with pytest.raises(WrappingTokenRejected):
        vault_accounts.unwrap_account(
            username="nobody", delivery=Delivery(password="s.notreal", mfa_secret="s.notreal")
        )


def forged_wrap(server: OpenBaoServer) -> str:
    """A wrapping token anyone with ``sys/wrapping/wrap`` can make, holding what they chose."""
    forged = server.root_client().adapter.request(
        "POST", "/v1/sys/wrapping/wrap", json={"password": "attacker-chosen"}, wrap_ttl="300s"
    )
    return str(forged["wrap_info"]["token"])


@pytest.mark.parametrize("which", ["password", "mfa_secret"])
def test_token_wrapped_elsewhere_is_tampered(
    vault_accounts: VaultAccounts,
    make_username: Callable[[str], str],
    openbao: OpenBaoServer,
    which: str,
) -> None:
    username = make_username("cy")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    token = forged_wrap(openbao)
    delivery = replace(issued.delivery, **{which: token})
    with pytest.raises(WrappingTokenTampered) as caught:
        vault_accounts.unwrap_account(username=username, delivery=delivery)
    expected = f"credbot-pending/data/{username}" if which == "password" else MFA_GENERATE_PATH
    assert caught.value.expected_path == expected
    assert caught.value.actual_path == "sys/wrapping/wrap"
    # Nothing was unwrapped: the forged token and the real ones are all left alone.
    root = openbao.root_client()
    for left in (token, issued.delivery.password, issued.delivery.mfa_secret):
        assert root.adapter.request("POST", "/v1/sys/wrapping/lookup", json={"token": left})


def test_token_of_another_user_is_tampered(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    first, second = make_username("dee"), make_username("eve")
    issued = vault_accounts.issue_account(username=first, wrap_ttl=WRAP)
    with pytest.raises(WrappingTokenTampered):
        vault_accounts.unwrap_account(username=second, delivery=issued.delivery)
    # The rightful owner can still unwrap it.
    vault_accounts.unwrap_account(username=first, delivery=issued.delivery)


def test_every_login_needs_password_and_code(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    recording = review_recording(openbao)
    username = make_username("fay")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    secret = vault_accounts.unwrap_account(username=username, delivery=issued.delivery)

    # The enrolment proof: a real login, whose token is ended at once.
    vault_accounts.prove_login(
        username=username, password=secret.password, code=fresh_code(secret.totp_secret)
    )
    assert userpass.read_user(openbao.root_client(), username)["token_policies"] == [  # type: ignore[index]
        PENDING_POLICY
    ]
    vault_accounts.activate_account(username=username, role="reviewer")

    # The password alone opens nothing, before activation and after.
    assert password_alone_opens_nothing(openbao.addr, secret)
    active = login(openbao.addr, secret)
    assert lookup_self(active)["policies"] == ["credbot-role-reviewer"]
    body = request(active, "GET", recording)
    assert body is not None
    assert body["data"]["data"] == {"audio": "clip-1"}
    with pytest.raises(VaultPermissionDenied):
        request(active, "POST", recording, json={"data": {"audio": "overwritten"}})

    user = userpass.read_user(openbao.root_client(), username)
    assert user is not None
    assert user["token_ttl"] > 0  # TTLs survive activation
    assert user["token_no_default_policy"] is True


def test_a_code_opens_one_login_only(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    username = make_username("gus")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    secret = vault_accounts.unwrap_account(username=username, delivery=issued.delivery)
    code = fresh_code(secret.totp_secret)
    vault_accounts.prove_login(username=username, password=secret.password, code=code)
    with pytest.raises(MfaCodeRejected):  # the same code in a second login
        vault_accounts.prove_login(username=username, password=secret.password, code=code)
    with pytest.raises(MfaCodeRejected):
        vault_accounts.prove_login(
            username=username, password=secret.password, code=wrong_code(secret.totp_secret)
        )
    with pytest.raises(LoginRefused):
        vault_accounts.prove_login(
            username=username, password=secret.password + "x", code=fresh_code(secret.totp_secret)
        )
    assert password_alone_opens_nothing(openbao.addr, secret)


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
    assert username in list(vault_accounts.iter_accounts())  # the original survives the refusal


@pytest.mark.parametrize("bad", ["", "Ann", "a/b", "../x", "a" * 65, "-a", "a b"])
def test_unsafe_usernames_never_reach_vault(vault_accounts: VaultAccounts, bad: str) -> None:
    with pytest.raises(InvalidName):
        vault_accounts.issue_account(username=bad, wrap_ttl=WRAP)


def test_the_account_list_shows_created_and_not_deleted(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    kept, gone = make_username("hal"), make_username("ivy")
    vault_accounts.issue_account(username=kept, wrap_ttl=WRAP)
    vault_accounts.issue_account(username=gone, wrap_ttl=WRAP)
    vault_accounts.revoke_account(username=gone)
    accounts = list(vault_accounts.iter_accounts())
    assert kept in accounts
    assert gone not in accounts
    assert accounts == sorted(accounts)


def test_vault_accounts_is_the_cores_vault_backend(vault_accounts: VaultAccounts) -> None:
    backend: VaultBackend = vault_accounts
    assert backend is vault_accounts
