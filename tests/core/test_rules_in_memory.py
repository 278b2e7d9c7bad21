"""The core's rules that need no Vault, on the in-memory store: the fast layer's view of the
lifecycle (``bash tests/run.sh --fast``). The same rules run end to end on SQLite, PostgreSQL
and OpenBao in ``test_lifecycle.py`` and ``test_retention.py``; ``MemoryStore`` is held to
``SqlStore`` by ``tests/storage/contract``. No Vault stands in here: a step that reached for
one would fail (``NoVault``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NoReturn

import pytest

from bot.core import onboarding, retention
from bot.core.audit import verify_chain
from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.errors import DuplicateContractor, IllegalTransition, InvalidRequest, NotAllowed
from bot.core.models import Contractor
from bot.core.states import State
from tests.support.core import APPROVER, MANAGER, FixedCheck, request_for
from tests.support.notifier import RecordingNotifier


@pytest.fixture
def core(memory_core: Core) -> Core:
    return memory_core


def actions(core: Core, contractor: Contractor) -> list[str]:
    return [
        e.entry.action for e in core.store.audit_events() if e.entry.contractor_id == contractor.id
    ]


def requested(core: Core, **changes: Any) -> Contractor:
    return onboarding.request_onboarding(core, request_for(**changes), requester=MANAGER)


def test_a_request_is_stored_with_its_reason_and_nothing_else_happens(
    core: Core, notifier: RecordingNotifier
) -> None:
    contractor = requested(core, justification="  Q3 batch  ", country="de")
    assert (contractor.state, contractor.country, contractor.justification) == (
        State.REQUESTED,
        "DE",
        "Q3 batch",
    )
    (event,) = core.store.audit_events()
    assert (event.entry.action, event.entry.actor, event.entry.reason) == (
        "requested",
        MANAGER,
        "Q3 batch",
    )
    assert notifier.requester_events == [] and notifier.links == []


def test_bad_or_self_serving_requests_store_nothing(core: Core) -> None:
    with pytest.raises(InvalidRequest):
        requested(core, country="ZZ")
    with pytest.raises(NotAllowed):
        onboarding.request_onboarding(core, request_for(MANAGER), requester=MANAGER)
    assert core.store.list_contractors() == []
    assert list(core.store.audit_events()) == []


def test_one_live_record_per_person(core: Core) -> None:
    first = requested(core)
    with pytest.raises(DuplicateContractor):
        requested(core, slack_user=first.slack_user_id)
    with pytest.raises(DuplicateContractor):
        requested(core, email=first.email)
    onboarding.reject(core, first.id, actor=APPROVER, reason="wrong person")
    assert requested(core, slack_user=first.slack_user_id).state is State.REQUESTED


def test_checks_decide_the_way_on(core: Core, notifier: RecordingNotifier) -> None:
    passing = requested(core)
    moved, results = onboarding.verify(core, passing.id, checks=[FixedCheck("a"), FixedCheck("b")])
    assert moved.state is State.AWAITING_APPROVAL
    assert core.store.check_results(passing.id) == results

    waiting = requested(core)
    held, _ = onboarding.verify(core, waiting.id, checks=[FixedCheck("kyc", "pending", "ID")])
    assert held.state is State.VERIFYING
    assert actions(core, waiting) == ["requested", "verifying", "checks_pending"]

    failing = requested(core)
    failed, _ = onboarding.verify(
        core, failing.id, checks=[FixedCheck("a"), FixedCheck("country", "fail", "not allowed")]
    )
    assert failed.state is State.REJECTED
    assert notifier.requester_events[-1] == (MANAGER, "rejected", "country: not allowed")
    with pytest.raises(IllegalTransition):
        onboarding.verify(core, failing.id, checks=[])


def test_a_check_that_crashes_decides_nothing(core: Core) -> None:
    class Broken:
        name = "broken"

        def run(self, contractor: Contractor) -> NoReturn:
            raise RuntimeError("the directory timed out")

    contractor = requested(core)
    moved, (result,) = onboarding.verify(core, contractor.id, checks=[Broken()])
    assert moved.state is State.VERIFYING
    assert (result.outcome, result.check) == ("pending", "broken")
    assert "RuntimeError" in result.reason


def test_approval_needs_a_second_person_once(core: Core, notifier: RecordingNotifier) -> None:
    contractor, _ = onboarding.verify(core, requested(core).id, checks=[])
    with pytest.raises(NotAllowed):
        onboarding.approve(core, contractor.id, approver=MANAGER)
    with pytest.raises(NotAllowed):
        onboarding.approve(core, contractor.id, approver=contractor.slack_user_id)
    approved = onboarding.approve(core, contractor.id, approver=APPROVER)
    assert (approved.state, approved.approved_by) == (State.APPROVED, APPROVER)
    assert notifier.events_for_requester() == ["approved"]
    with pytest.raises(IllegalTransition):
        onboarding.approve(core, contractor.id, approver="UAPPROVER2")
    with pytest.raises(NotAllowed):
        onboarding.reject(core, contractor.id, actor=contractor.slack_user_id, reason="no")
    assert verify_chain(core.store.audit_events()) == []


def test_personal_data_is_erased_once_the_retention_period_ended(core: Core) -> None:
    clock = core.clock
    assert isinstance(clock, FrozenClock)
    finished = requested(core)
    onboarding.reject(core, finished.id, actor=APPROVER, reason="not needed")
    live = requested(core)
    clock.advance(timedelta(days=180))
    assert retention.erase_expired(core, actor="credbot") == 0
    clock.advance(timedelta(seconds=1))
    assert retention.erase_expired(core, actor="credbot", dry_run=True) == 1
    assert retention.erase_expired(core, actor="credbot") == 1
    erased = core.store.get_contractor(finished.id)
    assert (erased.email, erased.display_name, erased.justification) == ("", "", "")
    assert core.store.get_contractor(live.id) == live
    assert actions(core, finished)[-1] == "personal_data_erased"
    assert retention.erase_expired(core, actor="credbot") == 0
    assert verify_chain(core.store.audit_events()) == []
