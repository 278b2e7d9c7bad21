"""Vault accounts and one-time links."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.errors import StaleState
from bot.core.models import Contractor
from bot.core.states import State
from bot.core.stores import Store
from tests.storage import factories
from tests.storage.factories import T0
from tests.support.links import stored_link


@pytest.fixture
def contractor(store: Store) -> Contractor:
    contractor = factories.contractor()
    return store.add_contractor(contractor, event=factories.entry())


def test_account_round_trip_and_revocation(store: Store, contractor: Contractor) -> None:
    other = store.add_contractor(factories.contractor(), event=factories.entry())
    first = factories.account(contractor.id, created_at=T0)
    second = factories.account(contractor.id, created_at=T0 + timedelta(hours=1))
    elsewhere = factories.account(other.id)
    for account in (second, first, elsewhere):
        store.add_account(account)
    assert store.unrevoked_accounts(contractor.id) == [first, second]
    assert len(store.unrevoked_accounts()) == 3

    revoked_at = T0 + timedelta(days=1)
    event = factories.entry(action="account_revoked", contractor_id=contractor.id)
    store.mark_account_revoked(first.username, at=revoked_at, event=event)
    later = revoked_at + timedelta(hours=1)
    store.mark_account_revoked(first.username, at=later, event=event)  # idempotent
    store.mark_account_revoked("never-existed", at=revoked_at, event=event)
    assert store.unrevoked_accounts(contractor.id) == [second]
    assert replace(first, revoked_at=revoked_at) not in store.unrevoked_accounts()
    actions = [e.entry.action for e in store.audit_events()]
    assert actions.count("account_revoked") == 3


def test_link_round_trip(store: Store, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    assert stored_link(store, link.link_hash) == link
    assert stored_link(store, "unknown") is None
    assert store.get_link_with_contractor(link.link_hash) == (link, contractor)
    assert store.get_link_with_contractor("unknown") is None


def test_revocation_targets_are_live_links_and_unrevoked_accounts(
    store: Store, contractor: Contractor
) -> None:
    newer = factories.link(contractor.id, created_at=T0 + timedelta(hours=1))
    older = factories.link(contractor.id, created_at=T0)
    used = factories.link(contractor.id, created_at=T0)
    other = store.add_contractor(factories.contractor(), event=factories.entry())
    for link in (newer, older, used, factories.link(other.id)):
        store.add_link(link)
    assert store.claim_link(used.link_hash, now=T0, proof_digest="p" * 64, max_failures=5)
    account = factories.account(contractor.id)
    store.add_account(account)
    targets = store.revocation_targets(contractor.id)
    assert targets.live_links == (older, newer)
    assert targets.accounts == (account,)
    empty = store.revocation_targets("nobody")
    assert empty.live_links == () and empty.accounts == ()


def test_claim_link_once(store: Store, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    now = T0 + timedelta(minutes=5)
    assert store.claim_link(link.link_hash, now=now, proof_digest="p" * 64, max_failures=5) is True
    assert store.claim_link(link.link_hash, now=now, proof_digest="p" * 64, max_failures=5) is False
    assert stored_link(store, link.link_hash) == replace(
        link, claimed_at=now, proof_digest="p" * 64
    )
    assert store.claim_link("unknown", now=now, proof_digest="p" * 64, max_failures=5) is False


def test_expired_link_cannot_be_claimed(store: Store, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    assert (
        store.claim_link(link.link_hash, now=link.expires_at, proof_digest="p" * 64, max_failures=5)
        is False
    )
    assert (
        store.claim_link(
            link.link_hash,
            now=link.expires_at + timedelta(seconds=1),
            proof_digest="p" * 64,
            max_failures=5,
        )
        is False
    )
    assert stored_link(store, link.link_hash) == link
    assert store.claim_link(
        link.link_hash,
        now=link.expires_at - timedelta(microseconds=1),
        proof_digest="p" * 64,
        max_failures=5,
    )


def test_invalidated_link_cannot_be_claimed(store: Store, contractor: Contractor) -> None:
    claimed = factories.link(contractor.id)
    pending = factories.link(contractor.id)
    other_contractor = store.add_contractor(factories.contractor(), event=factories.entry())
    unrelated = factories.link(other_contractor.id)
    for link in (claimed, pending, unrelated):
        store.add_link(link)
    store.claim_link(claimed.link_hash, now=T0, proof_digest="p" * 64, max_failures=5)
    at = T0 + timedelta(minutes=1)
    store.invalidate_links(contractor.id, at=at)
    assert (
        store.claim_link(pending.link_hash, now=at, proof_digest="p" * 64, max_failures=5) is False
    )
    assert stored_link(store, pending.link_hash) == replace(pending, invalidated_at=at)
    assert stored_link(store, claimed.link_hash) == replace(
        claimed, claimed_at=T0, proof_digest="p" * 64
    )
    assert stored_link(store, unrelated.link_hash) == unrelated


def test_naive_times_are_refused(store: Store, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    with pytest.raises(Exception, match="naive"):
        store.claim_link(
            link.link_hash, now=T0.replace(tzinfo=None), proof_digest="p" * 64, max_failures=5
        )


def test_failed_confirmations_are_counted_atomically(store: Store, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    count = [store.record_failed_confirmation(link.link_hash, limit=5, now=T0) for _ in range(3)]
    assert count == [1, 2, 3]
    stored = stored_link(store, link.link_hash)
    assert stored is not None and stored.failed_confirmations == 3
    assert stored.invalidated_at is None
    assert store.record_failed_confirmation("unknown", limit=5, now=T0) is None


def test_the_count_that_reaches_the_limit_invalidates_the_link(
    store: Store, contractor: Contractor
) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    assert [
        store.record_failed_confirmation(link.link_hash, limit=2, now=T0) for _ in range(3)
    ] == [
        1,
        2,
        None,  # invalidated by the second: nothing more is counted
    ]
    stored = stored_link(store, link.link_hash)
    assert stored is not None and stored.invalidated_at == T0
    assert not store.claim_link(link.link_hash, now=T0, proof_digest="p" * 64, max_failures=5)


def test_a_claimed_link_counts_no_wrong_code(store: Store, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    assert store.claim_link(link.link_hash, now=T0, proof_digest="p" * 64, max_failures=5)
    assert store.record_failed_confirmation(link.link_hash, limit=5, now=T0) is None
    stored = stored_link(store, link.link_hash)
    assert stored is not None
    assert (stored.failed_confirmations, stored.invalidated_at, stored.proof_digest) == (
        0,
        None,
        "p" * 64,
    )


def test_failed_proofs_are_counted_with_their_event_while_issued(store: Store) -> None:
    issued = factories.contractor(state=State.ISSUED, username="ctr-1", approved_by="UAPP")
    store.add_contractor(issued, event=factories.entry())
    before = len(list(store.audit_events()))
    counts = [
        store.count_failed_proof(issued.id, event=factories.entry(action="totp_failed"))
        for _ in range(2)
    ]
    assert counts == [1, 2]
    assert store.get_contractor(issued.id).failed_totp_attempts == 2
    assert len(list(store.audit_events())) == before + 2
    store.apply(factories.change(issued, State.LOCKED, action="locked"), at=T0)
    with pytest.raises(StaleState):
        store.count_failed_proof(issued.id, event=factories.entry(action="totp_failed"))
