"""Vault accounts and one-time links."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.core.models import Contractor
from bot.storage.repository import SqlStore
from tests.storage import factories
from tests.storage.factories import T0


@pytest.fixture
def contractor(store: SqlStore) -> Contractor:
    contractor = factories.contractor()
    return store.add_contractor(contractor, event=factories.entry())


def test_account_round_trip_and_revocation(store: SqlStore, contractor: Contractor) -> None:
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


def test_username_is_never_reused(store: SqlStore, contractor: Contractor) -> None:
    account = factories.account(contractor.id)
    store.add_account(account)
    store.mark_account_revoked(account.username, at=T0, event=factories.entry())
    with pytest.raises(IntegrityError):
        store.add_account(replace(account, revoked_at=None))


def test_link_round_trip(store: SqlStore, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    assert store.get_link(link.link_hash) == link
    assert store.get_link("unknown") is None


def test_revocation_targets_are_live_links_and_unrevoked_accounts(
    store: SqlStore, contractor: Contractor
) -> None:
    newer = factories.link(contractor.id, created_at=T0 + timedelta(hours=1))
    older = factories.link(contractor.id, created_at=T0)
    used = factories.link(contractor.id, created_at=T0)
    other = store.add_contractor(factories.contractor(), event=factories.entry())
    for link in (newer, older, used, factories.link(other.id)):
        store.add_link(link)
    assert store.claim_link(used.link_hash, now=T0)
    account = factories.account(contractor.id)
    store.add_account(account)
    targets = store.revocation_targets(contractor.id)
    assert targets.live_links == (older, newer)
    assert targets.accounts == (account,)
    empty = store.revocation_targets("nobody")
    assert empty.live_links == () and empty.accounts == ()


def test_claim_link_once(store: SqlStore, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    now = T0 + timedelta(minutes=5)
    assert store.claim_link(link.link_hash, now=now) is True
    assert store.claim_link(link.link_hash, now=now) is False
    assert store.get_link(link.link_hash) == replace(link, claimed_at=now)
    assert store.claim_link("unknown", now=now) is False


def test_expired_link_cannot_be_claimed(store: SqlStore, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    assert store.claim_link(link.link_hash, now=link.expires_at) is False
    assert store.claim_link(link.link_hash, now=link.expires_at + timedelta(seconds=1)) is False
    assert store.get_link(link.link_hash) == link
    assert store.claim_link(link.link_hash, now=link.expires_at - timedelta(microseconds=1))


def test_invalidated_link_cannot_be_claimed(store: SqlStore, contractor: Contractor) -> None:
    claimed = factories.link(contractor.id)
    pending = factories.link(contractor.id)
    other_contractor = store.add_contractor(factories.contractor(), event=factories.entry())
    unrelated = factories.link(other_contractor.id)
    for link in (claimed, pending, unrelated):
        store.add_link(link)
    store.claim_link(claimed.link_hash, now=T0)
    at = T0 + timedelta(minutes=1)
    store.invalidate_links(contractor.id, at=at)
    assert store.claim_link(pending.link_hash, now=at) is False
    assert store.get_link(pending.link_hash) == replace(pending, invalidated_at=at)
    assert store.get_link(claimed.link_hash) == replace(claimed, claimed_at=T0)
    assert store.get_link(unrelated.link_hash) == unrelated


def test_naive_times_are_refused(store: SqlStore, contractor: Contractor) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    with pytest.raises(Exception, match="naive"):
        store.claim_link(link.link_hash, now=T0.replace(tzinfo=None))


def test_failed_confirmations_are_counted_atomically(
    store: SqlStore, contractor: Contractor
) -> None:
    link = factories.link(contractor.id)
    store.add_link(link)
    assert [store.record_failed_confirmation(link.link_hash) for _ in range(3)] == [1, 2, 3]
    stored = store.get_link(link.link_hash)
    assert stored is not None and stored.failed_confirmations == 3
    assert store.record_failed_confirmation("unknown") == 0
