"""``release_link``: undoing a claim when Vault did not answer during the unwrap."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.stores import Store
from tests.storage import factories
from tests.storage.factories import T0
from tests.support.links import stored_link


def test_release_undoes_only_that_claim(store: Store) -> None:
    contractor = store.add_contractor(factories.contractor(), event=factories.entry())
    link = factories.link(contractor.id)
    store.add_link(link)
    claimed_at = T0 + timedelta(minutes=1)
    assert store.claim_link(link.link_hash, now=claimed_at, proof_digest="p" * 64, max_failures=5)

    store.release_link(link.link_hash, claimed_at=claimed_at + timedelta(microseconds=1))
    assert stored_link(store, link.link_hash) == replace(
        link, claimed_at=claimed_at, proof_digest="p" * 64
    )

    store.release_link(link.link_hash, claimed_at=claimed_at)
    assert stored_link(store, link.link_hash) == link
    assert store.claim_link(
        link.link_hash, now=claimed_at + timedelta(minutes=1), proof_digest="p" * 64, max_failures=5
    )
    store.release_link("unknown", claimed_at=claimed_at)
