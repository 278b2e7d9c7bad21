"""Revocation takes away every token and login, is idempotent, and proves it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.support.openbao import OpenBaoServer
from tests.vault.helpers import assert_token_rejected, contractor_login
from vault.accounts import VaultAccounts
from vault.errors import UsernameTaken, VaultError, WrappingTokenRejected
from vault.models import AccountSecrets
from vault.tokens import lookup_self

WRAP = timedelta(minutes=5)


def issue_and_unwrap(accounts: VaultAccounts, username: str) -> AccountSecrets:
    issued = accounts.issue_account(username=username, wrap_ttl=WRAP)
    return accounts.unwrap_account(username=username, wrapping_token=issued.wrapping_token)


def test_revoke_kills_live_tokens_and_the_password(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    username = make_username("rev")
    secret = issue_and_unwrap(vault_accounts, username)
    vault_accounts.activate_account(username=username, role="reviewer")
    session = contractor_login(openbao, username, secret.password)
    assert lookup_self(session)["display_name"] == f"credbot-{username}"

    proof = vault_accounts.revoke_account(username=username)

    assert_token_rejected(session)
    with pytest.raises(VaultError):
        contractor_login(openbao, username, secret.password)
    assert proof.complete
    assert proof.user_absent
    assert proof.totp_key_absent
    assert proof.live_leases == 0
    assert proof.entity_disabled is True


def test_revoking_twice_succeeds(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    username = make_username("twice")
    secret = issue_and_unwrap(vault_accounts, username)
    contractor_login(openbao, username, secret.password)
    first = vault_accounts.revoke_account(username=username)
    second = vault_accounts.revoke_account(username=username)
    assert first == second
    assert second.complete


def test_revoking_an_account_that_never_existed_is_complete(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    proof = vault_accounts.revoke_account(username=make_username("ghost"))
    assert proof.complete
    assert proof.entity_disabled is None  # never logged in: no entity


def test_revoke_before_unwrap_destroys_the_wrapping_token(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    username = make_username("unused")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    proof = vault_accounts.revoke_account(
        username=username, wrapping_accessor=issued.wrapping_accessor
    )
    assert proof.complete
    with pytest.raises(WrappingTokenRejected):
        vault_accounts.unwrap_account(username=username, wrapping_token=issued.wrapping_token)
    # Revoking again with the now-dead accessor is still fine.
    vault_accounts.revoke_account(username=username, wrapping_accessor=issued.wrapping_accessor)


def test_revoke_leaves_a_user_with_a_longer_similar_name_alone(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    short = make_username("pre")
    longer = f"{short}x"
    short_secret = issue_and_unwrap(vault_accounts, short)
    long_secret = issue_and_unwrap(vault_accounts, longer)
    contractor_login(openbao, short, short_secret.password)
    long_session = contractor_login(openbao, longer, long_secret.password)
    vault_accounts.activate_account(username=longer, role="reviewer")
    long_session = contractor_login(openbao, longer, long_secret.password)

    vault_accounts.revoke_account(username=short)

    assert lookup_self(long_session)["display_name"] == f"credbot-{longer}"
    assert longer in vault_accounts.list_accounts()


def test_a_revoked_name_cannot_be_issued_again(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    username = make_username("retired")
    secret = issue_and_unwrap(vault_accounts, username)
    contractor_login(openbao, username, secret.password)  # creates the identity entity
    vault_accounts.revoke_account(username=username)
    with pytest.raises(UsernameTaken, match="revoked before"):
        vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
