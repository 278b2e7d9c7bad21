"""``SqlAuditTrail``: appending events that go with no state change, and reading the chain."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from bot.core.models import AuditEntry, AuditEvent
from bot.storage.mapping import to_audit_event
from bot.storage.tables import audit_events
from bot.storage.transactions import SqlTransactions

AUDIT_STREAM_BATCH = 500
"""Rows fetched per round trip when streaming the audit log."""


class SqlAuditTrail(SqlTransactions):
    """``bot.core.stores.AuditTrail`` on SQLite or PostgreSQL (appends go through
    ``bot.storage.audit_log``)."""

    def append_audit(self, entry: AuditEntry) -> AuditEvent:
        """Append an event that accompanies no state change; return it as stored."""
        return self._write(lambda connection: self._append(connection, entry))

    def audit_events(self, *, after_seq: int = 0) -> Iterator[AuditEvent]:
        """Every audit event with ``seq`` above ``after_seq``, in ascending ``seq``, streamed
        in batches.

        PostgreSQL uses a server-side cursor; SQLite steps its cursor. The generator holds one
        connection (and a read snapshot) until it is exhausted or closed.
        """
        with self._reader() as connection:
            result = connection.execution_options(yield_per=AUDIT_STREAM_BATCH).execute(
                sa.select(audit_events)
                .where(audit_events.c.seq > after_seq)
                .order_by(audit_events.c.seq)
            )
            for row in result:
                yield to_audit_event(row)

    def last_audit_event(self, *, action: str | None = None) -> AuditEvent | None:
        """The event with the highest ``seq`` (of ``action``, when given), or ``None``. Without
        ``action`` one indexed read; with it the newest rows are read until one matches."""
        query = sa.select(audit_events).order_by(audit_events.c.seq.desc()).limit(1)
        if action is not None:
            query = query.where(audit_events.c.action == action)
        with self._reader() as connection:
            row = connection.execute(query).first()
        return None if row is None else to_audit_event(row)
