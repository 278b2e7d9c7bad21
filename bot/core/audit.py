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


def verify_chain(events: Iterable[AuditEvent]) -> list[ChainBreak]:
    """Walk the chain in stored order and list every break (empty list: intact).

    Detects an altered row (its hash no longer matches its content), a removed row (a gap in
    ``seq`` and a ``prev_hash`` that points at nothing) and reordered rows (``prev_hash`` not the
    hash of the row before).
    """
    breaks: list[ChainBreak] = []
    expected_seq = 1
    expected_prev = GENESIS_HASH
    for event in events:
        if event.seq != expected_seq:
            breaks.append(
                ChainBreak(event.seq, f"expected event #{expected_seq} here: rows removed or moved")
            )
        if event.prev_hash != expected_prev:
            breaks.append(ChainBreak(event.seq, "does not follow the event before it"))
        if chain_hash(seq=event.seq, prev_hash=event.prev_hash, entry=event.entry) != event.hash:
            breaks.append(ChainBreak(event.seq, "content does not match its hash: row altered"))
        expected_seq = event.seq + 1
        expected_prev = event.hash
    return breaks
