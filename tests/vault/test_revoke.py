"""Revocation takes away every token, login and second factor, is idempotent, and proves it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.support.contractor import assert_token_rejected, fresh_code, login, login_fails
from tests.support.openbao import OpenBaoServer
from vault import identity, legacy_totp, login_mfa
from vault.accounts import VaultAccounts
from vault.client import request
from vault.errors import VaultNotFound
from vault.models import AccountSecrets
from vault.tokens import lookup_self

WRAP = timedelta(minutes=5)


def issue_and_unwrap(accounts: VaultAccounts, username: str) -> AccountSecrets:
    issued = accounts.issue_account(username=username, wrap_ttl=WRAP)
    return accounts.unwrap_account(username=username, delivery=issued.delivery)


def test_revoke_kills_live_tokens_the_login_and_the_second_factor(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    username = make_username("rev")
    secret = issue_and_unwrap(vault_accounts, username)
    vault_accounts.activate_account(username=username, role="reviewer")
    session = login(openbao.addr, secret)
    assert lookup_self(session)["display_name"] == f"credbot-{username}"
    entity = identity.read_entity_by_name(openbao.root_client(), username)
    assert entity is not None

    proof = vault_accounts.revoke_account(username=username)

    assert_token_rejected(session)
    assert login_fails(openbao.addr, secret)
    assert proof.complete
    assert (proof.user_absent, proof.entity_absent, proof.live_leases) == (True, True, 0)
    assert proof.legacy_totp_key_absent is None
    # The MFA secret went with the entity: Vault knows neither any more.
    root = openbao.root_client()
    assert identity.read_entity_by_name(root, username) is None
    with pytest.raises(VaultNotFound):
        request(root, "GET", f"identity/entity/id/{entity['id']}")


def test_revoking_twice_succeeds(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    username = make_username("twice")
    secret = issue_and_unwrap(vault_accounts, username)
    login(openbao.addr, secret)
    first = vault_accounts.revoke_account(username=username)
    second = vault_accounts.revoke_account(username=username)
    assert first == second
    assert second.complete


def test_revoking_an_account_that_never_existed_is_complete(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str]
) -> None:
    proof = vault_accounts.revoke_account(username=make_username("ghost"))
    assert proof.complete


def test_a_delivery_nobody_opened_opens_nothing_after_revocation(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    """Unused wrapping tokens are left to expire (the bot cannot revoke tokens by accessor):
    what they hold is a password and a seed of an account that no longer exists."""
    username = make_username("unused")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    proof = vault_accounts.revoke_account(username=username)
    assert proof.complete
    leftover = vault_accounts.unwrap_account(username=username, delivery=issued.delivery)
    assert login_fails(openbao.addr, leftover)


def test_revoke_leaves_a_user_with_a_longer_similar_name_alone(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    short = make_username("pre")
    longer = f"{short}x"
    short_secret = issue_and_unwrap(vault_accounts, short)
    long_secret = issue_and_unwrap(vault_accounts, longer)
    login(openbao.addr, short_secret)
    vault_accounts.activate_account(username=longer, role="reviewer")
    long_session = login(openbao.addr, long_secret)

    vault_accounts.revoke_account(username=short)

    assert lookup_self(long_session)["display_name"] == f"credbot-{longer}"
    assert longer in list(vault_accounts.iter_accounts())
    assert identity.read_entity_by_name(openbao.root_client(), longer) is not None
    vault_accounts.prove_login(
        username=longer, password=long_secret.password, code=fresh_code(long_secret.totp_secret)
    )


def test_an_account_from_before_login_mfa_loses_its_old_totp_key(
    vault_accounts: VaultAccounts, make_username: Callable[[str], str], openbao: OpenBaoServer
) -> None:
    """An account issued with a key in the TOTP engine (before login MFA) is revoked with that
    key, and the proof says so."""
    username = make_username("old")
    root = openbao.root_client()
    if "credbot-totp/" not in root.sys.list_mounted_secrets_engines()["data"]:
        root.sys.enable_secrets_engine("totp", path="credbot-totp")
    request(
        root,
        "POST",
        f"credbot-totp/keys/{username}",
        json={"generate": True, "exported": False, "issuer": "credbot", "account_name": username},
    )
    vault_accounts.issue_account(username=username, wrap_ttl=WRAP)
    assert legacy_totp.read_key_exists(root, username)

    proof = vault_accounts.revoke_account(username=username, legacy_totp_key=True)

    assert proof.complete
    assert proof.legacy_totp_key_absent is True
    assert not legacy_totp.read_key_exists(root, username)


def test_the_mfa_method_is_credbots(vault_accounts: VaultAccounts, openbao: OpenBaoServer) -> None:
    method = login_mfa.read_totp_method(openbao.root_client(), vault_accounts.mfa_method_id())
    assert method is not None
    assert (method["issuer"], method["period"], method["digits"]) == ("credbot", 30, 6)
