"""The hash-chained audit trail: how an event is hashed, and how a chain is verified.

Each event's hash covers its own fields, its sequence number and the previous event's hash, so
altering, removing or reordering any row breaks the chain at a row ``verify_chain`` can name.
Storage calls ``chain_hash`` when appending; ``credbot audit verify`` calls ``verify_chain``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.models import AuditEntry, AuditEvent

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first event."""


def canonical_time(moment: datetime) -> str:
    """UTC, microsecond ISO-8601 text; naive datetimes (SQLite hands those back) count as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_as_json(entry: AuditEntry) -> dict[str, Any]:
    """The entry as JSON-ready data: the form that is hashed and exported."""
    return {
        "at": canonical_time(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "contractor_id": entry.contractor_id,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "reason": entry.reason,
        "details": entry.details,
    }


def chain_hash(*, seq: int, prev_hash: str, entry: AuditEntry) -> str:
    """SHA-256 over the canonical JSON of the sequence number, previous hash and entry."""
    body = {"seq": seq, "prev_hash": prev_hash, **entry_as_json(entry)}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """One place where the stored chain disagrees with itself."""

    seq: int
    problem: str


class ChainWalk:
    """``verify_chain`` one event at a time, for callers that stream a long chain and also
    need its tail; ``breaks`` lists every break seen so far.

    A walk may start mid-chain: ``after_seq`` is the ``seq`` before the first event, and with
    ``after_hash=None`` the first event's ``prev_hash`` is taken as given (its hash covers it).
    """

    def __init__(self, *, after_seq: int = 0, after_hash: str | None = GENESIS_HASH) -> None:
        self.breaks: list[ChainBreak] = []
        self.count = 0
        self.last: AuditEvent | None = None
        self._expected_seq = after_seq + 1
        self._expected_prev = after_hash

    def add(self, event: AuditEvent) -> None:
        """Check ``event`` against the one before it and against its own hash."""
        if event.seq != self._expected_seq:
            self.breaks.append(
                ChainBreak(
                    event.seq, f"expected event #{self._expected_seq} here: rows removed or moved"
                )
            )
        if self._expected_prev is not None and event.prev_hash != self._expected_prev:
            self.breaks.append(ChainBreak(event.seq, "does not follow the event before it"))
        if chain_hash(seq=event.seq, prev_hash=event.prev_hash, entry=event.entry) != event.hash:
            self.breaks.append(
                ChainBreak(event.seq, "content does not match its hash: row altered")
            )
        self._expected_seq = event.seq + 1
        self._expected_prev = event.hash
        self.count += 1
        self.last = event


def verify_chain(events: Iterable[AuditEvent]) -> list[ChainBreak]:
    """Walk the chain in stored order and list every break (empty list: intact).

    Detects an altered row (its hash no longer matches its content), a removed row (a gap in
    ``seq`` and a ``prev_hash`` that points at nothing) and reordered rows (``prev_hash`` not the
    hash of the row before). It cannot see rows removed from the end, nor a chain rewritten and
    hashed again from some row on: that takes the signed anchor (``bot.core.anchoring``).
    """
    walk = ChainWalk()
    for event in events:
        walk.add(event)
    return walk.breaks
