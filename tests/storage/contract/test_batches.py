"""Batched writes of the sweep: several state changes in one transaction, several claims in
one UPDATE, the revocation targets of several contractors in one read."""

from __future__ import annotations

from datetime import timedelta

from bot.core.audit import verify_chain
from bot.core.changes import Change
from bot.core.errors import ContractorNotFound, StaleState
from bot.core.models import Contractor
from bot.core.states import State
from bot.core.stores import Store
from tests.storage import factories
from tests.storage.factories import T0

LATER = T0 + timedelta(hours=1)


def added(store: Store, state: State) -> Contractor:
    contractor = factories.contractor(state=state)
    return store.add_contractor(contractor, event=factories.entry(contractor_id=contractor.id))


def revoking(contractor: Contractor, *, expected: State = State.ACTIVE) -> Change:
    return factories.change(
        contractor, State.REVOKING, expected=expected, action="revocation_started"
    )


def test_apply_many_refuses_only_the_stale_and_unknown_changes(store: Store) -> None:
    first, moved_on, last = (added(store, State.ACTIVE) for _ in range(3))
    store.apply(factories.change(moved_on, State.REVOKING), at=T0)
    ghost = factories.contractor()

    outcomes = store.apply_many(
        [revoking(first), revoking(moved_on), revoking(ghost), revoking(last)], at=LATER
    )

    assert [type(o) for o in outcomes] == [Contractor, StaleState, ContractorNotFound, Contractor]
    for contractor in (first, last):
        stored = store.get_contractor(contractor.id)
        assert (stored.state, stored.version, stored.updated_at) == (
            State.REVOKING,
            contractor.version + 1,
            LATER,
        )
    events = list(store.audit_events())
    assert [e.entry.contractor_id for e in events[-2:]] == [first.id, last.id]
    assert verify_chain(events) == []


def test_apply_many_records_each_changes_revoked_accounts(store: Store) -> None:
    contractors = [added(store, State.REVOKING) for _ in range(2)]
    accounts = [factories.account(c.id) for c in contractors]
    for account in accounts:
        store.add_account(account)
    kept = factories.account(contractors[0].id)
    store.add_account(kept)
    moved_on = added(store, State.REVOKED)  # read as revoking: its change is refused
    unproven = factories.account(moved_on.id)
    store.add_account(unproven)
    changes = [
        factories.change(c, State.REVOKED, action="revoked", revoked_accounts=(a.username,))
        for c, a in zip(contractors, accounts, strict=True)
    ] + [
        factories.change(
            moved_on,
            State.REVOKED,
            expected=State.REVOKING,
            action="revoked",
            revoked_accounts=(unproven.username,),
        )
    ]

    outcomes = store.apply_many(changes, at=LATER)

    assert all(isinstance(o, Contractor) for o in outcomes[:2])
    assert isinstance(outcomes[2], StaleState)
    assert sorted(a.username for a in store.unrevoked_accounts()) == sorted(
        [kept.username, unproven.username]
    )
    assert store.apply_many([], at=LATER) == []


def test_claim_many_takes_only_free_or_lapsed_claims(store: Store) -> None:
    free, held, lapsed = (added(store, State.ACTIVE) for _ in range(3))
    lease = timedelta(minutes=10)
    assert store.claim_for_sweep(held.id, worker="other", now=T0, lease=lease)
    assert store.claim_for_sweep(lapsed.id, worker="other", now=T0 - lease, lease=lease)

    won = store.claim_many_for_sweep(
        [free.id, held.id, lapsed.id, "nobody"], worker="me", now=T0, lease=lease
    )

    assert sorted(c.id for c in won) == sorted([free.id, lapsed.id])
    assert store.claim_many_for_sweep([free.id], worker="again", now=T0, lease=lease) == []


def test_revocation_targets_of_several_contractors(store: Store) -> None:
    one, two = added(store, State.ACTIVE), added(store, State.ACTIVE)
    account = factories.account(one.id)
    store.add_account(account)
    link = factories.link(two.id)
    store.add_link(link)

    targets = store.revocation_targets_of([one.id, two.id, "nobody"])

    assert targets[one.id].accounts == (account,) and targets[one.id].live_links == ()
    assert targets[two.id].accounts == () and targets[two.id].live_links == (link,)
    assert targets["nobody"] == store.revocation_targets("nobody")


def test_start_revocations_writes_the_intent_and_reads_what_the_moved_must_lose(
    store: Store,
) -> None:
    """One transaction: the moved contractor is ``revoking`` with its event, and its unrevoked
    accounts and live links come back; a stale change moves nothing and reads nothing."""
    moving, moved_on = added(store, State.ACTIVE), added(store, State.ACTIVE)
    account = factories.account(moving.id)
    store.add_account(account)
    store.add_account(factories.account(moving.id, revoked_at=T0))
    link = factories.link(moving.id)
    store.add_link(link)
    store.add_account(factories.account(moved_on.id))
    store.apply(revoking(moved_on), at=T0)

    outcomes, targets = store.start_revocations([revoking(moving), revoking(moved_on)], at=LATER)

    assert isinstance(outcomes[0], Contractor) and outcomes[0].state is State.REVOKING
    assert isinstance(outcomes[1], StaleState)
    assert targets == {moving.id: store.revocation_targets(moving.id)}
    assert targets[moving.id].accounts == (account,)
    assert targets[moving.id].live_links == (link,)
    assert store.get_contractor(moving.id).state is State.REVOKING
    events = list(store.audit_events())
    assert (events[-1].entry.contractor_id, events[-1].entry.action) == (
        moving.id,
        "revocation_started",
    )
    assert verify_chain(events) == []
    assert store.start_revocations([], at=LATER) == ([], {})
