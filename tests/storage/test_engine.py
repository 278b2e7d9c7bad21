"""Engine set-up per backend, health check, and surviving a database restart."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.storage.engine import make_engine, read_only
from bot.storage.health import check_database
from bot.storage.store import SqlStore
from tests.storage import factories
from tests.support.cli import run
from tests.support.postgres import PostgresServer


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


def test_sqlite_write_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    """With BEGIN IMMEDIATE a second writer waits at BEGIN instead of failing mid-transaction;
    a read-only transaction still runs alongside (WAL snapshot)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", sqlite_busy_timeout_ms=100)
    try:
        with engine.begin() as setup:
            setup.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with engine.connect() as holder, engine.connect() as writer, engine.connect() as reader:
            holder.begin()  # no statement yet: the write lock must already be held
            with pytest.raises(sa.exc.OperationalError, match="locked"):
                writer.begin()
            assert read_only(reader).exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    finally:
        engine.dispose()


def test_check_database(engine: sa.Engine) -> None:
    check_database(engine)


def test_check_database_fails_when_unreachable() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(sa.exc.OperationalError):
        check_database(engine)
    engine.dispose()


@pytest.mark.postgres
def test_store_works_again_after_a_database_restart(
    postgres_server: PostgresServer, postgres_database_url: str
) -> None:
    engine = make_engine(postgres_database_url)
    try:
        store = SqlStore(engine=engine)
        contractor = store.add_contractor(factories.contractor(), event=factories.entry())
        assert store.get_contractor(contractor.id) == contractor  # pool now holds a connection
        postgres_server.restart()
        assert store.get_contractor(contractor.id) == contractor
        store.append_audit(factories.entry(action="after-restart"))
        check_database(engine)
    finally:
        engine.dispose()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_file_and_its_directory_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "credbot.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert _mode(path.parent) == 0o700
    finally:
        engine.dispose()


def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    engine = make_engine(f"sqlite:///{tmp_path / 'credbot.sqlite3'}")
    engine.dispose()
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / "credbot.sqlite3") == 0o600


def test_db_upgrade_on_the_default_database_creates_it_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run({}, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert _mode(tmp_path / ".credbot") == 0o700
    assert _mode(tmp_path / ".credbot" / "credbot.sqlite3") == 0o600
