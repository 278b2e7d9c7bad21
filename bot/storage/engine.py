"""Building the SQLAlchemy engine for SQLite or PostgreSQL.

SQLite: WAL (readers never block the writer), a busy timeout (a writer waits for the lock
instead of failing at once), foreign keys on, and write transactions opened with
``BEGIN IMMEDIATE``. Python's sqlite3 otherwise opens a *deferred* transaction that takes a read
lock and upgrades it on the first write; two processes doing that at once deadlock, and SQLite
answers one of them with "database is locked" without waiting. Taking the write lock up front
makes writers queue on the busy timeout instead. This is the pysqlite recipe from SQLAlchemy's
documentation: disable the driver's own transaction handling and emit BEGIN ourselves.

Connections opened with ``read_only(connection)`` begin a plain deferred transaction: under WAL
they read a snapshot and never hold up writers (a long streamed audit export stays harmless).

A SQLite file that does not exist yet is created owner-only (0600, in a directory created
0700 when it is missing too) before SQLite opens it: it holds personal data and the audit
trail, and SQLite's own default follows the umask (usually world-readable). SQLite gives its
``-wal`` and ``-shm`` files the database file's mode. Only the commands that make a schema
create it (``create``); the others refuse a missing file instead of leaving an empty one behind.

PostgreSQL: ``pool_pre_ping`` so connections killed by a database restart are replaced
transparently instead of failing the next request.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.core.health import DatabaseMisconfigured, NotReady

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another writer's lock before giving up."""

READ_ONLY_OPTION = "credbot_read_only"
"""Execution option marking a connection whose transactions only read (SQLite: deferred BEGIN)."""


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
    engine_options.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, **engine_options)


def read_only(connection: Connection) -> Connection:
    """Mark ``connection`` (before its first statement) as only reading; see the module doc."""
    return connection.execution_options(**{READ_ONLY_OPTION: True})


def upsert(connection: Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into ``table`` that takes ``ON CONFLICT`` clauses, for ``connection``'s
    dialect (both spell it the same way, so callers write one statement)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _sqlite_engine(
    url: sa.URL, busy_timeout_ms: int, engine_options: dict[str, Any], *, create: bool
) -> Engine:
    connect_args = dict(engine_options.pop("connect_args", {}))
    connect_args["timeout"] = busy_timeout_ms / 1000
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
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

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
