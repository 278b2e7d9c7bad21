"""The rest of ``Store``'s contract, method by method: what the sweep selects and
claims, departure events, identity checks and KYC verifications, erasure, the audit tail, and
the leases. (Contractors, accounts, links, batches and drift have their own modules here.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.errors import DeliveryReplayed, StaleState, VerificationDecided
from bot.core.interfaces import Leases
from bot.core.models import (
    CheckResult,
    Contractor,
    DepartureEvent,
    IdentityVerification,
)
from bot.core.states import State
from bot.core.stores import Store
from tests.storage import factories
from tests.storage.factories import T0

LEASE = timedelta(minutes=5)


def added(store: Store, **fields: object) -> Contractor:
    contractor = factories.contractor(**fields)
    return store.add_contractor(contractor, event=factories.entry(contractor_id=contractor.id))


def test_health_counts_and_the_newest_event(store: Store) -> None:
    store.check_health()
    assert store.count_by_state() == {}
    assert store.last_audit_event() is None
    added(store, state=State.ACTIVE)
    added(store, state=State.ACTIVE)
    added(store, state=State.REVOKED)
    store.append_audit(factories.entry(action="report"))
    assert store.count_by_state() == {State.ACTIVE: 2, State.REVOKED: 1}
    newest = store.last_audit_event()
    assert newest is not None and (newest.seq, newest.entry.action) == (4, "report")
    requested = store.last_audit_event(action="requested")
    assert requested is not None and requested.seq == 3
    assert store.last_audit_event(action="never") is None
    assert [e.seq for e in store.audit_events(after_seq=2)] == [3, 4]


def test_list_by_slack_users(store: Store) -> None:
    one = added(store, created_at=T0)
    two = added(store, created_at=T0 + timedelta(seconds=1))
    added(store)
    assert store.list_contractors(slack_user_ids=[two.slack_user_id, one.slack_user_id]) == [
        one,
        two,
    ]
    assert store.list_contractors(slack_user_ids=[]) == []


def test_due_for_sweep_and_its_claims(store: Store) -> None:
    now = T0 + timedelta(days=2)
    today = now.date()

    def at(minute: int) -> dict[str, object]:
        return {"created_at": T0 + timedelta(minutes=minute), "end_date": today}

    revoking = added(store, state=State.REVOKING, **at(0))
    ended = added(store, state=State.ACTIVE, **{**at(1), "end_date": today - timedelta(days=1)})
    ends_today = added(store, state=State.ACTIVE, **at(2))
    added(store, state=State.VERIFYING, **{**at(3), "end_date": today - timedelta(days=1)})
    expired = added(store, state=State.ISSUED, username="ctr-exp", **at(4))
    store.add_link(factories.link(expired.id, username="ctr-exp", expires_at=now))
    fresh = added(store, state=State.ISSUED, username="ctr-new", **at(5))
    store.add_link(factories.link(fresh.id, username="ctr-new", expires_at=now + LEASE))
    replaced = added(store, state=State.ISSUED, username="ctr-cur", **at(6))
    store.add_link(factories.link(replaced.id, username="ctr-old", expires_at=now))

    due = store.due_for_sweep(now=now, today=today)
    assert [c.id for c in due] == [revoking.id, ended.id, expired.id]
    assert ends_today.id not in {c.id for c in due}

    claimed = store.claim_for_sweep(ended.id, worker="w1", now=now, lease=LEASE)
    assert claimed == ended
    assert store.claim_for_sweep(ended.id, worker="w2", now=now, lease=LEASE) is None
    assert [c.id for c in store.due_for_sweep(now=now, today=today)] == [revoking.id, expired.id]
    store.release_sweep_claim(ended.id, worker="w2")  # not w2's: left alone
    assert store.claim_for_sweep(ended.id, worker="w2", now=now, lease=LEASE) is None
    store.release_sweep_claim(ended.id, worker="w1")
    assert store.claim_for_sweep(ended.id, worker="w2", now=now, lease=LEASE) == ended
    later = now + LEASE  # w2's claim lapsed, and the fresh link expired too
    assert [c.id for c in store.due_for_sweep(now=later, today=today)] == [
        revoking.id,
        ended.id,
        expired.id,
        fresh.id,
    ]


def test_a_state_change_releases_the_claim_except_into_revoking(store: Store) -> None:
    active = added(store, state=State.ACTIVE)
    assert store.claim_for_sweep(active.id, worker="w1", now=T0, lease=LEASE)
    store.apply(factories.change(active, State.REVOKING), at=T0)
    assert store.claim_for_sweep(active.id, worker="w2", now=T0, lease=LEASE) is None
    store.apply(factories.change(active, State.REVOKED, expected=State.REVOKING), at=T0)
    assert store.claim_for_sweep(active.id, worker="w2", now=T0, lease=LEASE) is not None


def test_recorded_accounts_are_on_login_mfa(store: Store) -> None:
    active = added(store, state=State.ACTIVE, username="ctr-1")
    store.add_account(factories.account(active.id, username="ctr-1"))
    assert store.on_totp_engine() == []
    assert [a.second_factor for a in store.unrevoked_accounts()] == ["login_mfa"]


def test_departure_events_are_recorded_once_and_done_once(store: Store) -> None:
    second = DepartureEvent("Ev2", "user_change", "U2", T0 + timedelta(seconds=1))
    first = DepartureEvent("Ev1", "user_change", "U1", T0)
    assert store.record_event(second) is True
    assert store.record_event(first) is True
    assert store.record_event(replace(first, kind="other")) is False
    assert store.pending_events() == [first, second]
    store.mark_event_done("Ev1", at=T0)
    store.mark_event_done("Ev1", at=T0 + timedelta(hours=1))
    store.mark_event_done("unknown", at=T0)
    assert store.pending_events() == [second]


def test_checks_are_replaced_with_the_change_that_ran_them(store: Store) -> None:
    contractor = added(store, state=State.REQUESTED)
    first = (CheckResult("email_domain", "pass", "ok", {"domain": "a.example"}),)
    second = (
        CheckResult("country", "fail", "not allowed", {"country": "XX"}),
        CheckResult("kyc_attestation", "pending", "waiting"),
    )
    store.apply(factories.change(contractor, State.VERIFYING, checks=first), at=T0)
    assert store.check_results(contractor.id) == list(first)
    store.apply(factories.change(contractor, expected=State.VERIFYING, checks=second), at=T0)
    assert store.check_results(contractor.id) == list(second)
    store.apply(
        factories.change(contractor, expected=State.VERIFYING, failed_totp_attempts=0), at=T0
    )
    assert store.check_results(contractor.id) == list(second)  # None leaves them
    assert store.check_results("nobody") == []


def test_live_duplicates_are_other_live_records(store: Store) -> None:
    former = added(store, state=State.REVOKED)
    person = added(store, state=State.VERIFYING, slack_user_id=former.slack_user_id)
    assert store.live_duplicates(person) == []
    twin = factories.contractor(email=person.email, created_at=T0 + timedelta(seconds=1))
    assert store.live_duplicates(twin) == [person]


def verification(contractor: Contractor, **fields: object) -> IdentityVerification:
    values: dict[str, object] = {
        "reference": f"kyc_{contractor.id}",
        "contractor_id": contractor.id,
        "method": "webhook",
        "status": "pending",
        "created_at": T0,
    }
    values.update(fields)
    return IdentityVerification(**values)  # type: ignore[arg-type]


def test_verifications_are_added_found_and_listed_newest_first(store: Store) -> None:
    contractor = added(store, state=State.VERIFYING)
    older = verification(contractor, reference="kyc_old")
    newer = verification(
        contractor,
        reference="kyc_new",
        method="attestation",
        status="passed",
        created_at=T0 + timedelta(minutes=1),
        document_type="passport",
        verified_by="UAPPROVER",
        external_reference="TICKET-1",
        decided_at=T0 + timedelta(minutes=1),
    )
    before = len(list(store.audit_events()))
    store.add_verification(older, event=factories.entry(action="kyc_requested"))
    store.add_verification(newer, event=factories.entry(action="kyc_attested"))
    assert store.verifications(contractor.id) == [newer, older]
    assert store.find_verification("kyc_new") == newer
    assert store.find_verification("kyc_none") is None
    assert len(list(store.audit_events())) == before + 2


def test_a_decision_applies_once_and_only_while_verifying(store: Store) -> None:
    contractor = added(store, state=State.VERIFYING)
    pending = verification(contractor)
    store.add_verification(pending, event=factories.entry())
    at = T0 + timedelta(minutes=3)
    decided = replace(
        pending,
        status="passed",
        document_type="id_card",
        verified_by="kyc-service",
        external_reference="vs-123",
        reason="document and face match",
        decided_at=at,
    )
    store.decide_verification(decided, delivery="d1", event=factories.entry(action="kyc_passed"))
    assert store.find_verification(pending.reference) == decided
    assert store.last_audit_event(action="kyc_passed") == store.last_audit_event()

    with pytest.raises(DeliveryReplayed):
        store.decide_verification(decided, delivery="d1", event=factories.entry())
    with pytest.raises(VerificationDecided) as caught:
        store.decide_verification(decided, delivery="d2", event=factories.entry())
    assert (caught.value.reference, caught.value.state) == (pending.reference, "passed")

    other = added(store, state=State.VERIFYING)
    waiting = verification(other)
    store.add_verification(waiting, event=factories.entry())
    store.apply(factories.change(other, State.REJECTED), at=T0)
    events = len(list(store.audit_events()))
    with pytest.raises(VerificationDecided) as late:
        store.decide_verification(
            replace(waiting, status="failed", decided_at=at), delivery="d3", event=factories.entry()
        )
    assert late.value.state == "rejected"
    assert store.find_verification(waiting.reference) == waiting
    assert len(list(store.audit_events())) == events
    with pytest.raises(VerificationDecided):  # nothing of d3 was kept: it is no replay
        store.decide_verification(
            replace(waiting, status="failed", decided_at=at), delivery="d3", event=factories.entry()
        )


def test_erasure_blanks_finished_records_and_drops_what_identifies(
    store: Store,
) -> None:
    cutoff = T0 + timedelta(days=180)
    gone = added(store, state=State.ACTIVE, created_at=T0)
    kept = added(store, state=State.ACTIVE, created_at=T0 + timedelta(seconds=1))
    live = added(store, state=State.ACTIVE)
    for contractor in (gone, kept):
        store.apply(
            factories.change(
                contractor, State.REVOKED, checks=(CheckResult("country", "pass", "DE"),)
            ),
            at=T0 + timedelta(days=1),
        )
    store.add_link(factories.link(gone.id))
    store.add_verification(
        verification(gone, reference="kyc_gone", external_reference="vs-1", reason="matched"),
        event=factories.entry(),
    )
    handled = DepartureEvent("EvGone", "user_change", gone.slack_user_id, T0)
    store.record_event(handled)
    store.mark_event_done("EvGone", at=T0 + timedelta(days=1))
    unhandled = DepartureEvent("EvOpen", "user_change", gone.slack_user_id, T0)
    store.record_event(unhandled)

    assert store.erasable(finished_before=cutoff) == sorted([gone.id, kept.id])  # same time
    assert store.erasable(finished_before=T0 + timedelta(days=1)) == []
    at = cutoff + timedelta(hours=1)
    events = [
        factories.entry(at=at, action="personal_data_erased", contractor_id=c)
        for c in (gone.id, live.id)
    ]
    store.erase_personal_data([gone.id, live.id], finished_before=cutoff, events=events)

    erased = store.get_contractor(gone.id)
    assert (erased.email, erased.display_name, erased.justification) == ("", "", "")
    assert erased.erased_at == at
    assert (erased.slack_user_id, erased.country, erased.state) == (
        gone.slack_user_id,
        gone.country,
        State.REVOKED,
    )
    assert store.get_contractor(live.id) == live
    assert store.check_results(gone.id) == []
    assert store.check_results(kept.id) == [CheckResult("country", "pass", "DE")]
    assert store.revocation_targets(gone.id).live_links == ()
    scrubbed = store.find_verification("kyc_gone")
    assert scrubbed is not None
    assert (scrubbed.external_reference, scrubbed.reason) == (None, "")
    assert store.pending_events() == [unhandled]
    erased_events = [e for e in store.audit_events() if e.entry.action == "personal_data_erased"]
    assert [e.entry.contractor_id for e in erased_events] == [gone.id]
    assert store.erasable(finished_before=cutoff) == [kept.id]


def test_failed_proofs_of_an_unknown_contractor_are_stale(store: Store) -> None:
    with pytest.raises(StaleState):
        store.count_failed_proof("nobody", event=factories.entry())
    assert list(store.audit_events()) == []


def test_a_lease_is_one_holders_until_released_or_lapsed(leases: Leases) -> None:
    ttl = timedelta(seconds=30)
    mine = leases.take_lease("sweep", holder="a", now=T0, ttl=ttl)
    assert (mine.holder, mine.expires_at) == ("a", T0 + ttl)
    theirs = leases.take_lease("sweep", holder="b", now=T0 + timedelta(seconds=1), ttl=ttl)
    assert theirs == mine
    extended = leases.take_lease("sweep", holder="a", now=T0 + timedelta(seconds=10), ttl=ttl)
    assert extended.expires_at == T0 + timedelta(seconds=40)
    leases.release_lease("sweep", holder="b")  # not b's: kept
    assert leases.take_lease("sweep", holder="b", now=T0 + timedelta(seconds=11), ttl=ttl) == (
        extended
    )
    lapsed = leases.take_lease("sweep", holder="b", now=T0 + timedelta(seconds=40), ttl=ttl)
    assert lapsed.holder == "b"
    leases.release_lease("sweep", holder="b")
    again = leases.take_lease("sweep", holder="c", now=T0 + timedelta(seconds=41), ttl=ttl)
    assert again.holder == "c"
    assert leases.take_lease("other", holder="a", now=T0, ttl=ttl).holder == "a"
