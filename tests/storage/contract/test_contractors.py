"""Contractors: round trip, conditional state changes, one live record per person."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta, timezone

import pytest

from bot.core.errors import ContractorNotFound, DuplicateContractor, StaleState
from bot.core.states import State
from bot.core.stores import Store
from tests.storage import factories
from tests.storage.factories import T0


def test_contractor_round_trip(store: Store) -> None:
    contractor = factories.contractor(approved_by="UAPPROVER", username="ctr-1", version=3)
    stored = store.add_contractor(contractor, event=factories.entry(contractor_id=contractor.id))
    assert stored == contractor
    loaded = store.get_contractor(contractor.id)
    assert loaded == contractor
    assert loaded.created_at.tzinfo is UTC
    assert isinstance(loaded.state, State)


def test_times_in_other_zones_come_back_as_utc(store: Store) -> None:
    lisbon_summer = timezone(timedelta(hours=1))
    created = T0.astimezone(lisbon_summer)
    contractor = factories.contractor(created_at=created, updated_at=created)
    store.add_contractor(contractor, event=factories.entry())
    loaded = store.get_contractor(contractor.id)
    assert loaded.created_at == T0
    assert loaded.created_at.tzinfo is UTC


def test_get_unknown_contractor_raises(store: Store) -> None:
    with pytest.raises(ContractorNotFound):
        store.get_contractor("nope")


def test_list_and_filters(store: Store) -> None:
    first = factories.contractor(created_at=T0 + timedelta(minutes=2), requested_by="UA")
    second = factories.contractor(created_at=T0, requested_by="UB", state=State.ACTIVE)
    third = factories.contractor(created_at=T0 + timedelta(minutes=1), state=State.REVOKED)
    for contractor in (first, second, third):
        store.add_contractor(contractor, event=factories.entry())
    assert [c.id for c in store.list_contractors()] == [second.id, third.id, first.id]
    assert store.list_contractors(requested_by="UA") == [first]
    assert store.list_contractors(states={State.ACTIVE, State.REVOKED}) == [second, third]
    assert store.list_contractors(states=[State.ACTIVE], requested_by="UA") == []
    assert store.list_contractors(states=[]) == []


def test_find_live_by_slack_user_ignores_final_states(store: Store) -> None:
    revoked = factories.contractor(state=State.REVOKED, slack_user_id="UBOB")
    store.add_contractor(revoked, event=factories.entry())
    assert store.find_live_by_slack_user("UBOB") is None
    live = factories.contractor(slack_user_id="UBOB", created_at=T0 + timedelta(days=1))
    store.add_contractor(live, event=factories.entry())
    assert store.find_live_by_slack_user("UBOB") == live


def test_apply_changes_state_bumps_version_and_audits(store: Store) -> None:
    contractor = factories.contractor(state=State.APPROVED)
    store.add_contractor(contractor, event=factories.entry(contractor_id=contractor.id))
    later = T0 + timedelta(hours=1)
    event = factories.entry(
        at=later, action="issued", contractor_id=contractor.id, from_state="approved",
        to_state="issued",
    )  # fmt: skip
    updated = store.apply(
        factories.change(
            contractor, State.ISSUED, action="issued", username="ctr-9", failed_totp_attempts=0
        ),
        at=later,
    )
    assert updated == replace(
        contractor, state=State.ISSUED, username="ctr-9", version=2, updated_at=later
    )
    assert store.get_contractor(contractor.id) == updated
    assert [e.entry for e in store.audit_events()][-1] == event


def test_apply_with_none_changes_leaves_fields(store: Store) -> None:
    contractor = factories.contractor(state=State.ISSUED, username="ctr-1", approved_by="UAPP")
    store.add_contractor(contractor, event=factories.entry())
    updated = store.apply(factories.change(contractor, failed_totp_attempts=2), at=T0)
    assert (updated.username, updated.approved_by, updated.state) == ("ctr-1", "UAPP", "issued")
    assert updated.failed_totp_attempts == 2


def test_apply_with_stale_expected_state_changes_nothing(store: Store) -> None:
    contractor = factories.contractor(state=State.VERIFYING)
    store.add_contractor(contractor, event=factories.entry(contractor_id=contractor.id))
    audit_before = list(store.audit_events())
    with pytest.raises(StaleState) as caught:
        store.apply(
            factories.change(
                contractor,
                State.APPROVED,
                expected=State.AWAITING_APPROVAL,
                action="approved",
                approved_by="UAPP",
            ),
            at=T0,
        )
    assert caught.value.contractor_id == contractor.id
    assert caught.value.expected == "awaiting_approval"
    assert store.get_contractor(contractor.id) == contractor
    assert list(store.audit_events()) == audit_before


def test_apply_unknown_contractor_raises_not_found(store: Store) -> None:
    with pytest.raises(ContractorNotFound):
        store.apply(factories.change(factories.contractor(id="missing"), State.VERIFYING), at=T0)
    assert list(store.audit_events()) == []


@pytest.mark.parametrize("field", ["slack_user_id", "email"])
def test_duplicate_live_contractor_is_refused(store: Store, field: str) -> None:
    existing = factories.contractor(state=State.ACTIVE)
    store.add_contractor(existing, event=factories.entry())
    audit_before = list(store.audit_events())
    twin = factories.contractor(**{field: getattr(existing, field)})
    with pytest.raises(DuplicateContractor) as caught:
        store.add_contractor(twin, event=factories.entry())
    assert (caught.value.existing_id, caught.value.field) == (existing.id, field)
    with pytest.raises(ContractorNotFound):
        store.get_contractor(twin.id)
    assert list(store.audit_events()) == audit_before


@pytest.mark.parametrize("final", [State.REVOKED, State.REJECTED])
def test_final_contractor_does_not_block_a_new_request(store: Store, final: State) -> None:
    old = factories.contractor(state=State.ACTIVE)
    store.add_contractor(old, event=factories.entry())
    store.apply(factories.change(old, final), at=T0)
    again = factories.contractor(slack_user_id=old.slack_user_id, email=old.email)
    assert store.add_contractor(again, event=factories.entry()) == again
    assert store.find_live_by_slack_user(old.slack_user_id) == again
