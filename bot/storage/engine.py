"""Building the SQLAlchemy engine for SQLite or PostgreSQL.

SQLite: WAL (readers never block the writer), a busy timeout (a writer waits for the lock
instead of failing at once), foreign keys on, and write transactions opened with
``BEGIN IMMEDIATE``. Python's sqlite3 otherwise opens a *deferred* transaction that takes a read
lock and upgrades it on the first write; two processes doing that at once deadlock, and SQLite
answers one of them with "database is locked" without waiting. Taking the write lock up front
makes writers queue on the busy timeout instead. This is the pysqlite recipe from SQLAlchemy's
documentation: disable the driver's own transaction handling and emit BEGIN ourselves.

Within one process, writers also queue on a lock of the engine (``SerialWriters``) before
``BEGIN IMMEDIATE``, and the lock passes to the next writer the moment a transaction commits
or rolls back. SQLite's busy handler cannot do that: a writer that finds the file locked
sleeps 1, 2, 5, 10, ... up to 100 ms between tries, whenever the lock is freed, so with
twenty concurrent reveals most of a write's time was sleeping past a free lock (a 1 ms
``claim_link`` waited up to 460 ms). Other processes on the same file (``credbot sweep``
beside ``credbot serve``) still meet at ``BEGIN IMMEDIATE`` and its busy timeout.

Connections opened with ``read_only(connection)`` begin a plain deferred transaction: under WAL
they read a snapshot and never hold up writers (a long streamed audit export stays harmless).

A SQLite file that does not exist yet is created owner-only (0600, in a directory created
0700 when it is missing too) before SQLite opens it: it holds personal data and the audit
trail, and SQLite's own default follows the umask (usually world-readable). SQLite gives its
``-wal`` and ``-shm`` files the database file's mode. Only the commands that make a schema
create it (``create``); the others refuse a missing file instead of leaving an empty one behind.

PostgreSQL: connections a database restart ended are replaced at checkout, transparently
instead of failing the next request, by asking the kernel whether the server closed the socket
(``bot.storage.closed_connections``) rather than with ``pool_pre_ping``, which costs a round
trip per transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.core.health import DatabaseMisconfigured, NotReady
from bot.storage.closed_connections import replace_closed_connections

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another writer's lock before giving up."""

READ_ONLY_OPTION = "credbot_read_only"
"""Execution option marking a connection whose transactions only read (SQLite: deferred BEGIN)."""

URGENT_OPTION = "credbot_urgent"
"""Execution option marking a connection whose writes go ahead of other waiting writers."""


class NoDatabaseFile(NotReady):
    """The SQLite file does not exist: no ``credbot db upgrade`` ran here yet."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"there is no database at {path} yet: run `credbot db upgrade` (or start with "
            "`credbot serve --migrate`)",
            status="not migrated",
        )


def make_engine(
    url: str,
    *,
    create: bool = True,
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    **engine_options: Any,
) -> Engine:
    """Return an engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).

    A SQLite file that does not exist is created (see the module doc) with ``create``; without,
    ``NoDatabaseFile`` is raised. ``DatabaseMisconfigured`` when it cannot be created.
    ``engine_options`` are passed to ``sqlalchemy.create_engine`` (pool sizes, echo).
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, sqlite_busy_timeout_ms, engine_options, create=create)
    engine = sa.create_engine(parsed, **engine_options)
    replace_closed_connections(engine)
    return engine


def read_only(connection: Connection) -> Connection:
    """Mark ``connection`` (before its first statement) as only reading; see the module doc."""
    return connection.execution_options(**{READ_ONLY_OPTION: True})


def urgent(connection: Connection) -> Connection:
    """Mark ``connection`` (before its first statement) as writing ahead of every other writer
    of this process that is waiting for SQLite's write lock (``SerialWriters``). For short
    writes someone is waiting on right now (the replay guard, before Slack's ack); no effect on
    PostgreSQL, whose writers do not queue on one lock."""
    return connection.execution_options(**{URGENT_OPTION: True})


def upsert(connection: Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into ``table`` that takes ``ON CONFLICT`` clauses, for ``connection``'s
    dialect (both spell it the same way, so callers write one statement)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class SerialWriters:
    """One writer at a time per engine, handed on as soon as a transaction ends (module doc).

    ``enter`` is called before ``BEGIN IMMEDIATE`` and waits at most ``timeout_s`` (the busy
    timeout) for the writer ahead, then raises ``OperationalError`` as SQLite would
    ("database is locked"). ``_WriterConnection`` calls ``leave`` once its transaction ends.
    An ``urgent`` writer is let in before any other waiting writer.
    """

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._mutex = threading.Lock()
        self._urgent_turn = threading.Condition(self._mutex)
        self._turn = threading.Condition(self._mutex)
        self._held = False
        self._urgent_waiting = 0

    def enter(self, dbapi_connection: _WriterConnection, *, urgent: bool = False) -> None:
        deadline = time.monotonic() + self._timeout_s
        turn = self._urgent_turn if urgent else self._turn
        with self._mutex:
            self._urgent_waiting += urgent
            while self._held or (not urgent and self._urgent_waiting):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not turn.wait(remaining):
                    self._urgent_waiting -= urgent
                    self._hand_on()  # a wake-up that came with the timeout is passed on
                    raise sa.exc.OperationalError(
                        "BEGIN IMMEDIATE",
                        None,
                        sqlite3.OperationalError(
                            "database is locked (by a writer of this process)"
                        ),
                    )
            self._urgent_waiting -= urgent
            self._held = True
        dbapi_connection.writers = self

    def leave(self, dbapi_connection: _WriterConnection) -> None:
        dbapi_connection.writers = None
        with self._mutex:
            self._held = False
            self._hand_on()

    def _hand_on(self) -> None:
        """Wake the next writer, urgent ones first, if the lock is free (mutex held)."""
        if not self._held:
            (self._urgent_turn if self._urgent_waiting else self._turn).notify()


class _WriterConnection(sqlite3.Connection):
    """A ``sqlite3`` connection that lets the next writer in once its transaction ends."""

    writers: SerialWriters | None = None
    """Set while this connection's write transaction holds its engine's ``SerialWriters``."""

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave()

    def _leave(self) -> None:
        if self.writers is not None:
            self.writers.leave(self)


def _sqlite_engine(
    url: sa.URL, busy_timeout_ms: int, engine_options: dict[str, Any], *, create: bool
) -> Engine:
    connect_args = dict(engine_options.pop("connect_args", {}))
    connect_args["timeout"] = busy_timeout_ms / 1000
    connect_args["factory"] = _WriterConnection
    writers = SerialWriters(busy_timeout_ms / 1000)
    in_memory = url.database in (None, "", ":memory:")
    if not in_memory and not url.query.get("uri"):
        path = Path(str(url.database))
        if create:
            create_owner_only(path)
        elif not path.exists():
            raise NoDatabaseFile(path)
    engine = sa.create_engine(url, connect_args=connect_args, **engine_options)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # No implicit BEGIN from the driver: transactions are begun in _on_begin below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: nothing is ever corrupted and a crash of credbot loses no commit;
                # an OS crash or power cut may lose the last commits (not fsynced yet).
                # Losing a commit only ever rolls a contractor back to an earlier state (e.g.
                # "active" after Vault already revoked: fail closed), which the sweep repairs.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        assert isinstance(dbapi_connection, _WriterConnection)
        writers.enter(
            dbapi_connection, urgent=bool(connection.get_execution_options().get(URGENT_OPTION))
        )
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.leave(dbapi_connection)
            raise

    return engine


def create_owner_only(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (and its missing directories with 0700) unless it
    exists; an existing file or directory is left as it is. An empty file is a valid, empty
    SQLite database. Raises ``DatabaseMisconfigured`` naming the path when it cannot be made."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise DatabaseMisconfigured(
            f"CREDBOT_DATABASE_URL: cannot create the SQLite database {path}: {exc.strerror or exc}"
        ) from None
