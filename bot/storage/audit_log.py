"""Appending to the hash-chained audit log inside a caller's transaction."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.core.audit import GENESIS_HASH, chain_hash
from bot.core.errors import AuditWriteConflict
from bot.core.models import AuditEntry, AuditEvent
from bot.storage.mapping import audit_values
from bot.storage.tables import audit_events

T = TypeVar("T")

AUDIT_LOCK_KEY = 0x63726564626F74  # "credbot"
"""PostgreSQL advisory lock that serializes appenders (held until their transaction ends)."""

# Built once (see ``bot.storage.changes``): every change of state appends.
_LOCKED_TAIL = sa.text("SELECT end_seq, end_hash FROM credbot_audit_chain_end(:key)").bindparams(
    key=AUDIT_LOCK_KEY
)
"""The advisory lock, then the chain's end read after it, in one round trip (migration 0011)."""
_TAIL = (
    sa.select(audit_events.c.seq, audit_events.c.hash).order_by(audit_events.c.seq.desc()).limit(1)
)
_INSERT = sa.insert(audit_events).inline()


def append_event(
    connection: Connection, entry: AuditEntry, *, serialize: bool = True
) -> AuditEvent:
    """Insert ``entry`` as the event after the current last one; see ``append_events``."""
    return append_events(connection, [entry], serialize=serialize)[0]


def append_events(
    connection: Connection, entries: Sequence[AuditEntry], *, serialize: bool = True
) -> list[AuditEvent]:
    """Insert ``entries``, in order, as the events after the current last one, in
    ``connection``'s transaction; return them as stored.

    Reads the last ``(seq, hash)`` once, then chains the entries one after the other in Python
    and inserts them with one executemany: a batch of state changes holds the append lock
    for the same two statements as a single one. On SQLite the transaction already holds the
    write lock (``BEGIN IMMEDIATE``), so appenders are serialized. On PostgreSQL (READ
    COMMITTED) two appenders could read the same tail; with ``serialize`` a
    transaction-scoped advisory lock makes them queue, taken as late as possible (after every
    row lock of the transaction, so a batch holding it never waits for a row) and held only
    from here to commit. The lock and the read of the tail after it are one call of
    ``credbot_audit_chain_end`` (migration 0011 says why that read is not stale). Either way
    the UNIQUE ``seq`` is the last line of defence: a losing appender gets an
    ``IntegrityError`` that ``is_seq_conflict`` recognizes, and the caller retries its whole
    transaction.
    """
    if not entries:
        return []
    locked = serialize and connection.dialect.name == "postgresql"
    last = connection.execute(_LOCKED_TAIL if locked else _TAIL).first()
    seq, prev_hash = (0, GENESIS_HASH) if last is None else (last[0], last[1])
    events = []
    for entry in entries:
        seq += 1
        hash_ = chain_hash(seq=seq, prev_hash=prev_hash, entry=entry)
        events.append(AuditEvent(seq=seq, entry=entry, prev_hash=prev_hash, hash=hash_))
        prev_hash = hash_
    connection.execute(
        _INSERT,
        [
            audit_values(seq=e.seq, entry=e.entry, prev_hash=e.prev_hash, hash_=e.hash)
            for e in events
        ],
    )
    return events


def violated_constraint(error: IntegrityError) -> str:
    """What the database says was violated: the constraint name (PostgreSQL) or its message."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name if isinstance(name, str) else str(error.orig)


def is_seq_conflict(error: IntegrityError) -> bool:
    """Whether ``error`` is a concurrent appender taking the same ``seq``."""
    violated = violated_constraint(error)
    return "uq_audit_events_seq" in violated or "audit_events.seq" in violated


def write_audited(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    max_attempts: int,
    on_retry: Callable[[], None] = lambda: None,
) -> T:
    """Run ``work`` in one write transaction, retried whole when a concurrent appender took
    the same audit ``seq`` (``on_retry`` is told each time); raise ``AuditWriteConflict``
    after ``max_attempts``."""
    for attempt in range(max_attempts):
        try:
            with engine.begin() as connection:
                return work(connection)
        except IntegrityError as error:
            if not is_seq_conflict(error):
                raise
            on_retry()
            # Jittered backoff so colliding appenders do not collide again in lockstep.
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311
    raise AuditWriteConflict(f"audit append still colliding after {max_attempts} attempts")
