"""TOTP codes are checked by Vault's TOTP engine against the seed credbot imported."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest

from vault.accounts import VaultAccounts
from vault.errors import TotpCodeReused, VaultNotFound
from vault.models import AccountSecrets


@pytest.fixture
def enrolled(vault_accounts: VaultAccounts, make_username: Callable[[str], str]) -> AccountSecrets:
    username = make_username("totp")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=timedelta(minutes=5))
    return vault_accounts.unwrap_account(username=username, wrapping_token=issued.wrapping_token)


def test_code_from_the_unwrapped_seed_is_valid_once(
    vault_accounts: VaultAccounts, enrolled: AccountSecrets
) -> None:
    code = pyotp.TOTP(enrolled.totp_secret).now()
    assert vault_accounts.check_totp(username=enrolled.username, code=code) is True
    with pytest.raises(TotpCodeReused):
        vault_accounts.check_totp(username=enrolled.username, code=code)


def test_uri_and_secret_agree(enrolled: AccountSecrets) -> None:
    totp = pyotp.parse_uri(enrolled.totp_uri)
    assert isinstance(totp, pyotp.TOTP)
    assert (totp.secret, totp.digits, totp.interval) == (enrolled.totp_secret, 6, 30)
    assert totp.issuer == "credbot"
    assert totp.name == enrolled.username


def test_wrong_code_is_false(vault_accounts: VaultAccounts, enrolled: AccountSecrets) -> None:
    now = time.time()
    totp = pyotp.TOTP(enrolled.totp_secret)
    valid = {totp.at(now + step * 30) for step in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid)
    assert vault_accounts.check_totp(username=enrolled.username, code=wrong) is False


def test_code_two_steps_old_is_false(
    vault_accounts: VaultAccounts, enrolled: AccountSecrets
) -> None:
    totp = pyotp.TOTP(enrolled.totp_secret)
    now = time.time()
    old = totp.at(now - 60)
    if old in {totp.at(now + step * 30) for step in (-1, 0, 1)}:
        pytest.skip("the old code collides with a current one (1 in ~300,000)")
    assert vault_accounts.check_totp(username=enrolled.username, code=old) is False


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", " 123456", "١٢٣٤٥٦"])
def test_malformed_code_is_false_without_asking_vault(
    vault_accounts: VaultAccounts, enrolled: AccountSecrets, code: str
) -> None:
    assert vault_accounts.check_totp(username=enrolled.username, code=code) is False


def test_code_for_an_unknown_account_is_not_found(vault_accounts: VaultAccounts) -> None:
    with pytest.raises(VaultNotFound):
        vault_accounts.check_totp(username="no-such-user", code="123456")
