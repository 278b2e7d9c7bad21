"""Engine set-up per backend, health check, and surviving a database restart."""

from __future__ import annotations

import stat
import statistics
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.storage.engine import make_engine, read_only, urgent
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


def test_a_waiting_sqlite_writer_starts_as_soon_as_the_one_ahead_commits(tmp_path: Path) -> None:
    """Writers of one process queue on the engine's lock, not on SQLite's busy handler, whose
    sleeps grow to 100 ms (it tries at 228, 328, 428 ms...): after writes of 250-400 ms the
    handler would start the next writer some 25-80 ms after each commit (the median, robust to
    one slow wake-up on a busy machine, about 50 ms). A write that failed lets the next one in
    too."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", sqlite_busy_timeout_ms=2000)
    try:
        with engine.begin() as setup:
            setup.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        late = [_start_after_commit(engine, hold_s) for hold_s in (0.25, 0.30, 0.35, 0.40)]
        assert statistics.median(late) < 0.02, late

        with pytest.raises(ZeroDivisionError), engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (0)")
            _ = 1 / 0
        with engine.begin() as connection:  # would wait for the busy timeout, then fail
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 8
    finally:
        engine.dispose()


def test_an_urgent_sqlite_writer_goes_ahead_of_the_writers_already_waiting(
    tmp_path: Path,
) -> None:
    """The replay guard's write (``urgent``) waits only for the transaction that is running,
    not for the queue of writers behind it; the queue then goes on, nobody left waiting."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", sqlite_busy_timeout_ms=5000)
    try:
        with engine.begin() as setup:
            setup.exec_driver_sql("CREATE TABLE t (name TEXT)")

        def write(name: str, *, first: bool = False) -> None:
            connection = engine.connect()
            with urgent(connection) if first else connection as c, c.begin():
                c.exec_driver_sql("INSERT INTO t VALUES (?)", (name,))

        with engine.connect() as holder:
            holder.begin()
            queued = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(3)]
            for thread in queued:
                thread.start()
            time.sleep(0.3)  # the three are waiting for the holder
            guard = threading.Thread(target=write, args=("guard",), kwargs={"first": True})
            guard.start()
            time.sleep(0.3)
            holder.commit()
        for thread in [*queued, guard]:
            thread.join(10)
        with engine.connect() as connection:
            order = connection.exec_driver_sql("SELECT name FROM t ORDER BY rowid").scalars()
            assert list(order)[:1] == ["guard"]
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 4
    finally:
        engine.dispose()


def _start_after_commit(engine: sa.Engine, hold_s: float) -> float:
    """One writer holds the write transaction ``hold_s``, a second one waits to begin; return
    how long after the first commit the second began."""
    holding, committed_at, began_at = threading.Event(), [0.0], [0.0]

    def first() -> None:
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            holding.set()
            time.sleep(hold_s)
        committed_at[0] = time.monotonic()

    def second() -> None:
        holding.wait(5)
        with engine.begin() as connection:
            began_at[0] = time.monotonic()
            connection.exec_driver_sql("INSERT INTO t VALUES (2)")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return began_at[0] - committed_at[0]


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
