"""Database problems as an operator meets them: every command that needs the database says
what is wrong in one line, with the documented exit code (3: a setting or a step to take, 4:
the database does not answer), never a traceback, and leaves nothing behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import Result

from tests.support.cli import run
from tests.support.ports import free_port

COMMANDS = [
    ("list",),
    ("status", "U0NOBODY"),
    ("offboard", "U0NOBODY", "--reason", "left"),
    ("sweep",),
    ("sweep", "--dry-run"),
    ("audit", "verify"),
    ("audit", "export"),
    ("serve",),
]
VAULT = {"VAULT_ADDR": "http://127.0.0.1:9", "VAULT_TOKEN": "not-needed-before-the-database"}


def one_line(result: Result) -> str:
    assert result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory where credbot never ran: the default SQLite URL points into it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_command_before_the_first_db_upgrade_says_to_run_it(
    fresh_directory: Path, command: tuple[str, ...]
) -> None:
    result = run(VAULT, *command)
    assert result.exit_code == 3
    assert "there is no database at .credbot/credbot.sqlite3 yet: run `credbot db upgrade`" in (
        one_line(result)
    )
    assert list(fresh_directory.iterdir()) == []  # no empty database left behind


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_database_without_the_schema_says_to_upgrade(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    (tmp_path / "empty.sqlite3").touch()
    env = {**VAULT, "CREDBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = run(env, *command)
    assert result.exit_code == 3
    assert "the database has no credbot schema" in one_line(result)


@pytest.mark.parametrize("command", [("db", "upgrade"), *COMMANDS], ids=" ".join)
def test_an_unreachable_database_exits_4(command: tuple[str, ...]) -> None:
    url = f"postgresql+psycopg://credbot:canary-password@127.0.0.1:{free_port()}/credbot"
    result = run({**VAULT, "CREDBOT_DATABASE_URL": url}, *command)
    assert result.exit_code == 4
    assert one_line(result).startswith("credbot: the database did not answer: ")
    assert "canary" not in result.output


@pytest.mark.parametrize("command", [("db", "upgrade"), *COMMANDS], ids=" ".join)
def test_a_bad_database_url_exits_3(command: tuple[str, ...]) -> None:
    result = run({**VAULT, "CREDBOT_DATABASE_URL": "credbot:canary@db"}, *command)
    assert result.exit_code == 3
    assert "CREDBOT_DATABASE_URL: not a database URL" in result.output
    assert "canary" not in result.output and "Traceback" not in result.output


def test_the_first_db_upgrade_creates_the_default_directory(fresh_directory: Path) -> None:
    result = run({}, "db", "upgrade")
    assert result.exit_code == 0, result.output
    data = fresh_directory / ".credbot"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "credbot.sqlite3").stat().st_mode) == 0o600
    assert run(VAULT, "audit", "export").exit_code == 0


def test_a_sqlite_directory_that_cannot_be_made_exits_3() -> None:
    url = "sqlite:////proc/credbot/credbot.sqlite3"  # /proc takes no new directory, even as root
    result = run({"CREDBOT_DATABASE_URL": url}, "db", "upgrade")
    assert result.exit_code == 3
    assert one_line(result) == (
        "credbot: CREDBOT_DATABASE_URL: cannot create the SQLite database "
        "/proc/credbot/credbot.sqlite3: No such file or directory\n"
    )
