"""Which audit-log entries are logins credbot counts (``bot.core.vault_logins``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.vault_logins import UnparseableLine, parse_line
from tests.vault_audit.lines import login_line

AT = datetime(2026, 11, 29, 12, 0, 1, 123456, tzinfo=UTC)


def test_an_accepted_password_is_a_login_with_user_address_and_time() -> None:
    login = parse_line(login_line("ctr-ann", "127.0.0.2", AT, request_id="r-1"))
    assert login is not None
    assert (login.request_id, login.username, login.remote_address, login.at) == (
        "r-1",
        "ctr-ann",
        "127.0.0.2",
        AT,
    )
    assert not login.refused


def test_the_right_password_from_a_refused_place_counts_as_refused() -> None:
    login = parse_line(login_line("ctr-ann", "10.9.8.7", AT, error="permission denied"))
    assert login is not None and login.refused


@pytest.mark.parametrize(
    ("why", "line"),
    [
        (
            "a wrong password proves nothing",
            login_line("ctr-a", "1.2.3.4", AT, error="invalid credentials"),
        ),
        (
            "the request entry: the login is counted once, at its response",
            login_line("ctr-a", "1.2.3.4", AT, kind="request"),
        ),
        ("the MFA step names no user", login_line("ctr-a", "1.2.3.4", AT, path="sys/mfa/validate")),
        ("another mount", login_line("bob", "1.2.3.4", AT, path="auth/userpass/login/bob")),
        ("a path below the login", login_line("x", "1.2.3.4", AT, path="auth/credbot/login/a/b")),
    ],
)
def test_other_entries_are_no_logins(why: str, line: bytes) -> None:
    assert parse_line(line) is None, why


@pytest.mark.parametrize(
    "line",
    [
        b"not json at all",
        b"\xff\xfe",
        b"[1, 2, 3]",
        b'{"time": "2026-11-29T12:00:00Z"}',
        b'{"type": "response", "request": "nope"}',
        login_line("ctr-a", "not-an-address", AT),
        login_line("ctr-a", "1.2.3.4", AT).replace(b"2026-11-29T", b"yesterday "),
    ],
)
def test_lines_that_are_no_audit_entries_are_refused_as_unparseable(line: bytes) -> None:
    with pytest.raises(UnparseableLine):
        parse_line(line)
