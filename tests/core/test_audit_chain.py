"""The hash chain on its own: what verify_chain catches, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.core.audit import GENESIS_HASH, chain_hash, verify_chain
from bot.core.models import AuditEntry, AuditEvent

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def make_chain(length: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    prev = GENESIS_HASH
    for seq in range(1, length + 1):
        entry = AuditEntry(
            at=START + timedelta(seconds=seq), actor="U1", action=f"step{seq}", reason="r"
        )
        digest = chain_hash(seq=seq, prev_hash=prev, entry=entry)
        events.append(AuditEvent(seq=seq, entry=entry, prev_hash=prev, hash=digest))
        prev = digest
    return events


def test_intact_chain_has_no_breaks() -> None:
    assert verify_chain(make_chain(5)) == []


def test_altered_reason_is_named() -> None:
    events = make_chain(5)
    events[2] = replace(events[2], entry=replace(events[2].entry, reason="edited"))
    assert [b.seq for b in verify_chain(events)] == [3]


def test_removed_row_is_named() -> None:
    events = make_chain(5)
    del events[1]
    assert {b.seq for b in verify_chain(events)} == {3}


def test_reordered_rows_are_named() -> None:
    events = make_chain(5)
    events[1], events[2] = events[2], events[1]
    assert {b.seq for b in verify_chain(events)} >= {2, 3}


def test_naive_and_aware_times_hash_alike() -> None:
    """SQLite hands back naive UTC datetimes; the chain must not depend on that."""
    entry = AuditEntry(at=START, actor="U1", action="a")
    naive = replace(entry, at=START.replace(tzinfo=None))
    assert chain_hash(seq=1, prev_hash=GENESIS_HASH, entry=entry) == chain_hash(
        seq=1, prev_hash=GENESIS_HASH, entry=naive
    )
