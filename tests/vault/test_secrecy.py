"""No password, TOTP seed or wrapping token reaches an exception message or a log line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import hvac.exceptions
import pyotp
import pytest
import requests

from tests.support.contractor import fresh_code, login
from tests.support.logs import capture_debug
from tests.support.openbao import OpenBaoServer
from vault.accounts import VaultAccounts
from vault.client import scrub, translate
from vault.errors import (
    LoginRefused,
    MfaAttemptsExceeded,
    MfaCodeRejected,
    VaultError,
    VaultInvalidRequest,
    VaultNotFound,
    VaultPermissionDenied,
    VaultUnavailable,
    WrappingTokenRejected,
)


def test_full_lifecycle_logs_no_secret(
    vault_accounts: VaultAccounts,
    make_username: Callable[[str], str],
    openbao: OpenBaoServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture_debug(caplog)
    username = make_username("quiet")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=timedelta(minutes=5))
    secret = vault_accounts.unwrap_account(username=username, delivery=issued.delivery)
    errors: list[str] = []
    with pytest.raises(WrappingTokenRejected) as rejected:
        vault_accounts.unwrap_account(username=username, delivery=issued.delivery)
    errors.append(str(rejected.value))
    code = fresh_code(secret.totp_secret)
    vault_accounts.prove_login(username=username, password=secret.password, code=code)
    with pytest.raises(MfaCodeRejected) as reused:
        vault_accounts.prove_login(username=username, password=secret.password, code=code)
    errors.append(str(reused.value))
    with pytest.raises(LoginRefused) as bad_login:
        vault_accounts.prove_login(username=username, password=secret.password + "x", code=code)
    errors.append(str(bad_login.value))
    vault_accounts.activate_account(username=username, role="reviewer")
    session = login(openbao.addr, secret)
    vault_accounts.revoke_account(username=username)
    with pytest.raises(VaultError) as after_revoke:
        login(openbao.addr, secret)
    errors.append(str(after_revoke.value))

    assert any(r.name.startswith("vault") for r in caplog.records)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    needles = (
        secret.password,
        secret.totp_secret,
        issued.delivery.password,
        issued.delivery.mfa_secret,
        session.token,
        code,
    )
    for needle in needles:
        assert needle not in caplog.text
        for message in errors:
            assert needle not in message
    assert "otpauth://" not in caplog.text


def fake_hvac_error(
    cls: type[hvac.exceptions.VaultError], *errors: str
) -> hvac.exceptions.VaultError:
    return cls(errors=list(errors), method="post", url="http://vault:8200/v1/x")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (fake_hvac_error(hvac.exceptions.VaultDown, "Vault is sealed"), VaultUnavailable),
        (fake_hvac_error(hvac.exceptions.VaultNotInitialized, "x"), VaultUnavailable),
        (fake_hvac_error(hvac.exceptions.RateLimitExceeded, "x"), VaultUnavailable),
        (fake_hvac_error(hvac.exceptions.Forbidden, "permission denied"), VaultPermissionDenied),
        (fake_hvac_error(hvac.exceptions.Unauthorized, "x"), VaultPermissionDenied),
        (fake_hvac_error(hvac.exceptions.InvalidPath, "x"), VaultNotFound),
        (fake_hvac_error(hvac.exceptions.InvalidRequest, "bad"), VaultInvalidRequest),
        (fake_hvac_error(hvac.exceptions.InternalServerError, "boom"), VaultError),
        (
            fake_hvac_error(
                hvac.exceptions.InternalServerError,
                "local node not active but active cluster node not found",
            ),
            VaultUnavailable,
        ),
        (requests.ConnectionError("refused"), VaultUnavailable),
        (requests.ReadTimeout("slow"), VaultUnavailable),
    ],
    ids=lambda v: type(v).__name__,
)
def test_translation_table(exc: BaseException, expected: type[VaultError]) -> None:
    translated = translate(exc, operation="POST x")
    assert type(translated) is expected


def test_login_refusals_are_told_apart_only_where_vault_gives_them() -> None:
    wrong_password = fake_hvac_error(hvac.exceptions.InvalidRequest, "invalid username or password")
    assert (
        type(translate(wrong_password, operation="POST auth/credbot/login/ctr-a")) is LoginRefused
    )
    assert type(translate(wrong_password, operation="POST x")) is VaultInvalidRequest
    wrong_code = fake_hvac_error(
        hvac.exceptions.Forbidden, "MFA credentials not supplied or incorrect"
    )
    too_many = fake_hvac_error(
        hvac.exceptions.Forbidden,
        "maximum TOTP validation attempts 6 exceeded the allowed attempts 5",
    )
    assert type(translate(wrong_code, operation="POST sys/mfa/validate")) is MfaCodeRejected
    assert type(translate(too_many, operation="POST sys/mfa/validate")) is MfaAttemptsExceeded
    assert type(translate(wrong_code, operation="POST x")) is VaultPermissionDenied


def test_wrapping_rejection_is_only_recognised_on_wrapping_paths() -> None:
    exc = fake_hvac_error(
        hvac.exceptions.InvalidRequest, "wrapping token is not valid or does not exist"
    )
    assert type(translate(exc, operation="POST sys/wrapping/unwrap")) is WrappingTokenRejected
    assert type(translate(exc, operation="POST other")) is VaultInvalidRequest


def test_messages_are_scrubbed() -> None:
    seed = pyotp.random_base32(32)
    exc = fake_hvac_error(
        hvac.exceptions.InvalidRequest,
        "1 error occurred:\n\t* bad token hvs.CAESIabcdefghijklmnopqrstuv",
        f"key {seed} rejected; uri otpauth://totp/credbot:ann?secret={seed}",
        "password was hunter2-hunter2",
    )
    message = str(translate(exc, secrets=["hunter2-hunter2"], operation="POST x"))
    assert "hvs." not in message
    assert seed not in message
    assert "otpauth" not in message
    assert "hunter2" not in message
    assert "error occurred" not in message
    assert "bad token <redacted>" in message
    assert scrub("s.abcdefghijklmnopqrstuvwx and b.AAAAAAAAAAAAAAAAAAAAAAAA") == (
        "<redacted> and <redacted>"
    )
