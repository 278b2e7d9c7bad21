"""What someone who can write the database (and nothing else) can do to the audit trail, in raw
SQL: tests use it to show which tampering ``credbot audit verify`` names."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from bot.core.audit import GENESIS_HASH, chain_hash
from bot.core.context import Core
from bot.storage.tables import audit_events


def grow(core: Core, count: int) -> int:
    """Append ``count`` audit events that change nothing else; return the newest ``seq``."""
    newest = 0
    for n in range(count):
        newest = core.store.append_audit(core.entry(actor="UADMIN1", action=f"note-{n}")).seq
    return newest


def remove_newest(database_url: str, count: int) -> None:
    """Delete the ``count`` newest events: the rest of the chain still verifies on its own."""
    _run(
        database_url,
        sa.delete(audit_events).where(
            audit_events.c.seq
            > sa.select(sa.func.max(audit_events.c.seq) - count).scalar_subquery()
        ),
    )


def alter(database_url: str, seq: int, reason: str) -> None:
    """Change one event's reason in place (its hash then no longer matches)."""
    _run(
        database_url, sa.update(audit_events).where(audit_events.c.seq == seq).values(reason=reason)
    )


def rewrite_and_rehash(core: Core, database_url: str, seq: int, reason: str) -> None:
    """Change event ``seq``'s reason and compute its hash and every later one again, so that
    the chain on its own verifies."""
    events = list(core.store.audit_events())
    prev = events[seq - 2].hash if seq > 1 else GENESIS_HASH
    statements = []
    for event in events[seq - 1 :]:
        entry = replace(event.entry, reason=reason) if event.seq == seq else event.entry
        digest = chain_hash(seq=event.seq, prev_hash=prev, entry=entry)
        statements.append(
            sa.update(audit_events)
            .where(audit_events.c.seq == event.seq)
            .values(reason=entry.reason, prev_hash=prev, hash=digest)
        )
        prev = digest
    _run(database_url, *statements)


def _run(database_url: str, *statements: sa.Executable) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(statement)
    finally:
        engine.dispose()
