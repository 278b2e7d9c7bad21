"""The audit chain as every store appends it (tamper detection with raw SQL is in
``tests/storage/test_audit.py``)."""

from __future__ import annotations

from bot.core.audit import GENESIS_HASH, chain_hash, verify_chain
from bot.core.stores import Store
from tests.storage import factories


def test_append_and_round_trip(store: Store) -> None:
    entry = factories.entry(contractor_id="c-1", from_state="approved", to_state="issued")
    first = store.append_audit(entry)
    second = store.append_audit(factories.entry(action="report"))
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert first.hash == chain_hash(seq=1, prev_hash=GENESIS_HASH, entry=entry)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert list(store.audit_events()) == [first, second]
    assert verify_chain(store.audit_events()) == []


def test_state_changes_and_appends_share_one_chain(store: Store) -> None:
    contractor = factories.contractor()
    store.add_contractor(contractor, event=factories.entry(action="requested"))
    store.append_audit(factories.entry(action="alert"))
    assert [e.entry.action for e in store.audit_events()] == ["requested", "alert"]
    assert [e.seq for e in store.audit_events()] == [1, 2]
