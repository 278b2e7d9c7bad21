"""The approval workflow's operations (``bot.core.workflow``) on the in-memory store: what
the approvers are asked, what the cards show and who is told, whichever door calls. The
same operations run through Slack, end to end, in ``tests/scenario``."""

from __future__ import annotations

import pytest

from bot.core import onboarding
from bot.core.context import Core
from bot.core.errors import NotAllowed
from bot.core.models import Contractor
from bot.core.states import State
from bot.core.workflow.approve import approve_and_issue
from bot.core.workflow.recheck import recheck
from bot.core.workflow.reject import reject_request
from bot.core.workflow.service_result import recheck_after_service_result
from bot.core.workflow.verify import ATTESTATION_CHECK, verify_and_ask
from tests.support.core import (
    APPROVER,
    MANAGER,
    FixedCheck,
    request_for,
)
from tests.support.notifier import RecordingNotifier

CARD = "CAPPROVALS:1700000000.000100"
PASS = [FixedCheck("email_domain")]
WAITS_FOR_ID = [FixedCheck("email_domain"), FixedCheck(ATTESTATION_CHECK, "pending")]
FAILS = [FixedCheck("work_country", "fail", "not allowed here")]


@pytest.fixture
def core(memory_core: Core) -> Core:
    return memory_core


def requested(core: Core) -> Contractor:
    return onboarding.request_onboarding(core, request_for(), requester=MANAGER)


def test_checks_passed_ask_the_approvers_to_approve(
    core: Core, notifier: RecordingNotifier
) -> None:
    contractor = requested(core)
    checked, _ = verify_and_ask(core, contractor.id, checks=PASS)
    assert checked.state is State.AWAITING_APPROVAL
    assert notifier.asked == [(contractor.id, "awaiting_approval")]


def test_an_id_check_is_asked_for_once_unless_the_manager_rechecks(
    core: Core, notifier: RecordingNotifier
) -> None:
    contractor = requested(core)
    verify_and_ask(core, contractor.id, checks=WAITS_FOR_ID)
    verify_and_ask(core, contractor.id, checks=WAITS_FOR_ID)  # an attestation, a webhook
    assert notifier.asked == [(contractor.id, "verifying")]
    done = recheck(core, core.store.get_contractor(contractor.id), checks=WAITS_FOR_ID)
    assert done.ran and notifier.asked == [(contractor.id, "verifying")] * 2


def test_a_failed_check_shows_the_approvers_why_and_tells_the_manager(
    core: Core, notifier: RecordingNotifier
) -> None:
    contractor = requested(core)
    checked, _ = verify_and_ask(core, contractor.id, checks=FAILS)
    assert checked.state is State.REJECTED
    assert notifier.asked == [(contractor.id, "rejected")]
    assert notifier.requester_events == [(MANAGER, "rejected", "work_country: not allowed here")]


def test_a_recheck_awaiting_approval_posts_the_card_again_and_runs_nothing(
    core: Core, notifier: RecordingNotifier
) -> None:
    contractor = requested(core)
    checked, _ = verify_and_ask(core, contractor.id, checks=PASS)
    done = recheck(core, checked, checks=FAILS)  # would reject, were they run
    assert not done.ran and done.contractor.state is State.AWAITING_APPROVAL
    assert notifier.asked == [(contractor.id, "awaiting_approval")] * 2


def test_a_rejection_is_shown_on_its_card_with_the_reason(
    core: Core, notifier: RecordingNotifier
) -> None:
    contractor = requested(core)
    verify_and_ask(core, contractor.id, checks=PASS)
    reject_request(core, contractor.id, actor=APPROVER, reason="no contract yet", card=CARD)
    (decision,) = notifier.decisions
    assert (decision.card, decision.kind, decision.actor, decision.reason) == (
        CARD,
        "rejected",
        APPROVER,
        "no contract yet",
    )
    assert decision.contractor.state is State.REJECTED
    assert [c.check for c in decision.checks] == ["email_domain"]
    assert (MANAGER, "rejected", "no contract yet") in notifier.requester_events


def test_the_requester_cannot_approve_and_no_card_changes(
    core: Core, notifier: RecordingNotifier
) -> None:
    contractor = requested(core)
    verify_and_ask(core, contractor.id, checks=PASS)
    with pytest.raises(NotAllowed):
        approve_and_issue(core, contractor.id, approver=MANAGER, card=CARD)
    assert notifier.decisions == []
    assert core.store.get_contractor(contractor.id).state is State.AWAITING_APPROVAL


def test_a_service_result_on_a_decided_request_tells_the_manager_to_recheck(
    core: Core, notifier: RecordingNotifier
) -> None:
    contractor = requested(core)
    verify_and_ask(core, contractor.id, checks=FAILS)
    recheck_after_service_result(core, contractor.id, checks=PASS)  # never raises
    assert notifier.requester_events[-1] == (MANAGER, "checks", "IllegalTransition")
    assert core.store.get_contractor(contractor.id).state is State.REJECTED
