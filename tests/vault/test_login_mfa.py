"""Vault's login MFA on ``auth/credbot``: codes come from the seed Vault generated, each works
once, old ones and junk are refused, too many wrong ones lock the entity for a while."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import hvac
import pyotp
import pytest

from tests.support.contractor import fresh_code, login, wrong_code
from tests.support.openbao import OpenBaoServer
from vault.accounts import VaultAccounts
from vault.errors import LoginRefused, MfaAttemptsExceeded, MfaCodeRejected
from vault.models import AccountSecrets
from vault.tokens import lookup_self

MAX_ATTEMPTS = 5
"""``max_validation_attempts`` of the method the shared server was initialised with."""


@pytest.fixture
def enrolled(vault_accounts: VaultAccounts, make_username: Callable[[str], str]) -> AccountSecrets:
    username = make_username("totp")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=timedelta(minutes=5))
    return vault_accounts.unwrap_account(username=username, delivery=issued.delivery)


def prove(accounts: VaultAccounts, secrets: AccountSecrets, code: str) -> None:
    accounts.prove_login(username=secrets.username, password=secrets.password, code=code)


def test_code_two_steps_old_is_refused(
    vault_accounts: VaultAccounts, enrolled: AccountSecrets
) -> None:
    totp = pyotp.TOTP(enrolled.totp_secret)
    now = time.time()
    old = totp.at(now - 60)
    if old in {totp.at(now + step * 30) for step in (-1, 0, 1)}:
        pytest.skip("the old code collides with a current one (1 in ~300,000)")
    with pytest.raises(MfaCodeRejected):
        prove(vault_accounts, enrolled, old)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_junk_codes_are_refused(
    vault_accounts: VaultAccounts, enrolled: AccountSecrets, code: str
) -> None:
    with pytest.raises(MfaCodeRejected):
        prove(vault_accounts, enrolled, code)


def test_too_many_wrong_codes_refuse_even_the_right_one_for_a_while(
    vault_accounts: VaultAccounts, enrolled: AccountSecrets, openbao: OpenBaoServer
) -> None:
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(MfaCodeRejected):
            prove(vault_accounts, enrolled, wrong_code(enrolled.totp_secret))
    with pytest.raises(MfaAttemptsExceeded):
        login(openbao.addr, enrolled)


def test_an_unknown_user_is_refused_at_the_password(vault_accounts: VaultAccounts) -> None:
    with pytest.raises(LoginRefused):
        vault_accounts.prove_login(username="ctr-nobody", password="x" * 43, code="123456")


def test_a_right_login_works_after_wrong_codes_below_the_limit(
    vault_accounts: VaultAccounts, enrolled: AccountSecrets
) -> None:
    with pytest.raises(MfaCodeRejected):
        prove(vault_accounts, enrolled, wrong_code(enrolled.totp_secret))
    prove(vault_accounts, enrolled, fresh_code(enrolled.totp_secret))


def test_the_readmes_daily_login_snippet_works(
    vault_accounts: VaultAccounts, enrolled: AccountSecrets, openbao: OpenBaoServer
) -> None:
    """The hvac snippet under *How a contractor logs in every day*, run as written."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## How a contractor logs in every day", 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    vault_accounts.activate_account(username=enrolled.username, role="reviewer")
    names: dict[str, object] = {
        "username": enrolled.username,
        "password": enrolled.password,
        "code": fresh_code(enrolled.totp_secret),
    }
    exec(snippet.replace("https://vault.example.com", openbao.addr), names)
    client = names["client"]
    assert isinstance(client, hvac.Client)
    assert lookup_self(client)["policies"] == ["credbot-role-reviewer"]
