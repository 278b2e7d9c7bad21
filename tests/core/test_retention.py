"""Data minimisation: after the retention period the sweep erases a finished record's personal
data, audited, and leaves live records, recent ones and the audit chain alone."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.core import issuing, onboarding, revocation
from bot.core.audit import verify_chain
from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.identity import attest_identity
from bot.core.models import Contractor, DepartureEvent
from bot.core.states import State
from bot.core.sweep import SweepOptions, sweep
from tests.support.core import APPROVER, MANAGER, FixedCheck, approved_contractor, request_for

RUN = SweepOptions(worker="test-sweep")


def revoked_after_checks(core: Core) -> Contractor:
    """A contractor who passed checks with an attestation, was issued, left Slack (a handled
    departure event) and was revoked."""
    contractor = onboarding.request_onboarding(core, request_for(), requester=MANAGER)
    onboarding.verify(core, contractor.id, checks=[FixedCheck("kyc", "pending")])
    attest_identity(core, contractor.id, attester=APPROVER, document_type="passport", note="T-1")
    onboarding.verify(core, contractor.id, checks=[FixedCheck("kyc", "pass", domain="a.example")])
    onboarding.approve(core, contractor.id, approver=APPROVER)
    issuing.issue(core, contractor.id, actor=APPROVER)
    event = DepartureEvent(
        event_id=f"Ev{contractor.id[:10]}",
        kind="user_change",
        slack_user_id=contractor.slack_user_id,
        received_at=core.clock.now(),
    )
    core.store.record_event(event)
    core.store.mark_event_done(event.event_id, at=core.clock.now())
    return revocation.offboard(core, contractor.id, actor=MANAGER, reason="contract ended")


def approved(core: Core, *, days: int) -> Contractor:
    """An approved contractor whose contract ends ``days`` after the core's today."""
    end = core.clock.now().date() + timedelta(days=days)
    contractor = onboarding.request_onboarding(core, request_for(end_date=end), requester=MANAGER)
    onboarding.verify(core, contractor.id, checks=[FixedCheck()])
    return onboarding.approve(core, contractor.id, approver=APPROVER)


def test_personal_data_is_erased_when_the_retention_period_ends(
    core: Core, clock: FrozenClock
) -> None:
    gone = revoked_after_checks(core)
    asked = onboarding.request_onboarding(core, request_for(), requester=MANAGER)
    rejected = onboarding.reject(core, asked.id, actor=APPROVER, reason="not needed")
    live = approved(core, days=900)
    clock.advance(core.policy.retention - timedelta(hours=1))
    assert sweep(core, RUN).erased == 0
    clock.advance(timedelta(hours=2))
    fresh = revocation.offboard(core, approved(core, days=90).id, actor=MANAGER, reason="x")

    dry = sweep(core, SweepOptions(worker="test-sweep", dry_run=True))
    assert dry.erased == 2
    assert core.store.get_contractor(gone.id).email == gone.email

    report = sweep(core, RUN)
    assert report.erased == 2
    for finished in (gone, rejected):
        erased = core.store.get_contractor(finished.id)
        assert (erased.email, erased.display_name, erased.justification) == ("", "", "")
        assert erased.erased_at == clock.now()
        assert (erased.slack_user_id, erased.state) == (finished.slack_user_id, finished.state)
    assert core.store.check_results(gone.id) == []
    [attestation] = core.store.verifications(gone.id)
    assert (attestation.verified_by, attestation.external_reference) == (APPROVER, None)
    assert core.store.revocation_targets(gone.id).live_links == ()
    assert core.store.pending_events() == []
    for kept in (live, fresh):
        assert core.store.get_contractor(kept.id).email == kept.email
    events = list(core.store.audit_events())
    assert verify_chain(iter(events)) == []
    erasures = [e.entry for e in events if e.entry.action == "personal_data_erased"]
    assert sorted(e.contractor_id or "" for e in erasures) == sorted([gone.id, rejected.id])
    assert gone.email not in json.dumps([e.entry.details for e in events], default=str)
    assert sweep(core, RUN).erased == 0


def test_erasure_leaves_a_record_that_changed_meanwhile(core: Core, clock: FrozenClock) -> None:
    finished = revocation.offboard(
        core, approved_contractor(core).id, actor=MANAGER, reason="contract ended"
    )
    clock.advance(core.policy.retention + timedelta(days=1))
    [due] = core.store.erasable(finished_before=clock.now() - core.policy.retention)
    assert due == finished.id
    core.store.erase_personal_data(
        [due],
        finished_before=finished.updated_at,
        events=[core.entry(actor="test", action="personal_data_erased")],
    )
    assert core.store.get_contractor(finished.id).email == finished.email
    assert core.store.get_contractor(finished.id).state is State.REVOKED
