"""``SqlTransactions``: the transactions every SQL store runs in.

Each store of ``bot.storage`` (contractors, accounts, links, ...) is one of these: it reads in a
read-only transaction (a hot read of one row without one on PostgreSQL: ``_read_row``) and
writes in one write transaction per method, retried whole when a concurrent appender took the
same audit ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.core.models import AuditEntry, AuditEvent
from bot.storage.audit_log import append_event, write_audited
from bot.storage.engine import read_only

T = TypeVar("T")


class SqlTransactions:
    """Read and write transactions on one engine; every store method is one transaction.

    Writes that append to the audit chain are retried as a whole (up to ``max_attempts``) when a
    concurrent appender took the same ``seq``; then ``AuditWriteConflict`` is raised.
    ``serialize_audit=False`` turns off the PostgreSQL advisory lock (see ``append_event``) and
    leaves only the retry, which the tests use to exercise that path.
    """

    def __init__(
        self, *, engine: Engine, max_attempts: int = 10, serialize_audit: bool = True
    ) -> None:
        self._engine = engine
        self._max_attempts = max_attempts
        self._serialize_audit = serialize_audit
        self.audit_retries = 0
        """How many transactions were retried after an audit ``seq`` collision (for metrics)."""

    def _append(self, connection: Connection, entry: AuditEntry) -> AuditEvent:
        return append_event(connection, entry, serialize=self._serialize_audit)

    def _reader(self) -> _ReadTransaction:
        return _ReadTransaction(self._engine)

    def _read_row(self, statement: sa.Executable, parameters: dict[str, Any]) -> sa.Row[Any] | None:
        """The first row of one read-only ``statement``. On PostgreSQL it runs in autocommit:
        one statement is its own snapshot there, so a transaction around it would only add
        two round trips (``BEGIN`` and ``ROLLBACK``). On SQLite, in a read-only transaction
        (see ``_reader``)."""
        connection = self._engine.connect()
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        else:
            connection = read_only(connection)
        with connection:
            return connection.execute(statement, parameters).first()

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retried whole on an audit ``seq`` collision."""
        return write_audited(
            self._engine, work, max_attempts=self._max_attempts, on_retry=self._count_retry
        )

    def _count_retry(self) -> None:
        self.audit_retries += 1


class _ReadTransaction:
    """A read-only transaction (on SQLite a deferred BEGIN, so it never blocks writers)."""

    def __init__(self, engine: Engine) -> None:
        self._connection = read_only(engine.connect())

    def __enter__(self) -> Connection:
        self._connection.begin()
        return self._connection

    def __exit__(self, *exc_info: object) -> None:
        # Reads commit nothing; rollback just ends the snapshot.
        self._connection.close()
