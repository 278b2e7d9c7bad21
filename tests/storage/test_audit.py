"""The audit chain: order, streaming, and tamper detection with raw SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.core.audit import GENESIS_HASH, chain_hash, verify_chain
from bot.storage.audit_trail import AUDIT_STREAM_BATCH
from bot.storage.mapping import audit_values
from bot.storage.store import SqlStore
from bot.storage.tables import audit_events
from tests.storage import factories
from tests.storage.factories import T0


def fill(store: SqlStore, count: int) -> None:
    for number in range(1, count + 1):
        store.append_audit(
            factories.entry(at=T0 + timedelta(seconds=number), reason=f"event {number}")
        )


def test_events_stream_in_seq_order(store: SqlStore, engine: Engine) -> None:
    """More rows than one streaming batch, inserted physically in reverse order."""
    count = 3 * AUDIT_STREAM_BATCH + 7
    rows, prev_hash = [], GENESIS_HASH
    for seq in range(1, count + 1):
        entry = factories.entry(reason=f"event {seq}")
        hash_ = chain_hash(seq=seq, prev_hash=prev_hash, entry=entry)
        rows.append(audit_values(seq=seq, entry=entry, prev_hash=prev_hash, hash_=hash_))
        prev_hash = hash_
    with engine.begin() as connection:
        connection.execute(sa.insert(audit_events), rows[::-1])
    events = store.audit_events()
    assert isinstance(events, Iterator)
    assert [event.seq for event in events] == list(range(1, count + 1))
    assert verify_chain(store.audit_events()) == []


def test_altered_reason_is_named(store: SqlStore, engine: Engine) -> None:
    fill(store, 5)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 3")
        )
    breaks = verify_chain(store.audit_events())
    assert [b.seq for b in breaks] == [3]
    assert "altered" in breaks[0].problem


def test_deleted_middle_row_is_named(store: SqlStore, engine: Engine) -> None:
    fill(store, 5)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_events WHERE seq = 3"))
    breaks = verify_chain(store.audit_events())
    assert {b.seq for b in breaks} == {4}
    assert any("removed" in b.problem for b in breaks)


def test_swapped_seqs_are_named(store: SqlStore, engine: Engine) -> None:
    fill(store, 5)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_events SET seq = -1 WHERE seq = 2"))
        connection.execute(sa.text("UPDATE audit_events SET seq = 2 WHERE seq = 4"))
        connection.execute(sa.text("UPDATE audit_events SET seq = 4 WHERE seq = -1"))
    breaks = verify_chain(store.audit_events())
    assert {b.seq for b in breaks} == {2, 3, 4, 5}
    assert {b.seq for b in breaks if "altered" in b.problem} == {2, 4}
