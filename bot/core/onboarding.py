"""From a manager's request to an approved contractor: request, verify, approve or reject.

Four eyes: the requester, the approver and the contractor are three different people; this is
enforced here, in the core, so no door can forget it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from bot.core.context import Core
from bot.core.errors import NotAllowed
from bot.core.models import Contractor
from bot.core.requests import OnboardingRequest, validate_request
from bot.core.states import State

Outcome = Literal["pass", "fail", "pending"]


@dataclass(frozen=True)
class CheckResult:
    """What one identity check concluded, why, and on which evidence (no documents)."""

    check: str
    outcome: Outcome
    reason: str
    evidence: dict[str, str]


class IdentityCheck(Protocol):
    """One identity check run before a request can reach an approver."""

    name: str

    def run(self, contractor: Contractor) -> CheckResult:
        """Judge the contractor; never raise for a failed check, return ``fail``."""
        ...


def request_onboarding(core: Core, request: OnboardingRequest, *, requester: str) -> Contractor:
    """Validate and store a new request in ``requested``.

    Raises ``InvalidRequest`` for a bad field, ``NotAllowed`` when managers ask for themselves,
    ``DuplicateContractor`` when the person already has a live record. Nothing is stored then.
    """
    now = core.clock.now()
    valid = validate_request(request, today=now.date(), roles=core.policy.roles)
    if valid.slack_user_id == requester:
        raise NotAllowed("you cannot request credentials for yourself")
    contractor = Contractor(
        id=uuid.uuid4().hex,
        slack_user_id=valid.slack_user_id,
        email=valid.email,
        display_name=valid.display_name,
        country=valid.country,
        end_date=valid.end_date,
        role=valid.role,
        requested_by=requester,
        justification=valid.justification,
        state=State.REQUESTED,
        created_at=now,
        updated_at=now,
    )
    event = replace(
        core.entry(actor=requester, action="requested", target=State.REQUESTED),
        contractor_id=contractor.id,
        reason=valid.justification,
    )
    return core.store.add_contractor(contractor, event=event)


def verify(
    core: Core, contractor_id: str, *, checks: Sequence[IdentityCheck], actor: str = "credbot"
) -> tuple[Contractor, list[CheckResult]]:
    """Run every identity check and move on: all pass -> ``awaiting_approval``; any fail ->
    ``rejected`` with the reasons; otherwise stay ``verifying`` until a pending check resolves."""
    contractor = core.store.get_contractor(contractor_id)
    if contractor.state is State.REQUESTED:
        contractor = core.move(contractor, State.VERIFYING, actor=actor, action="verifying")
    results = [check.run(contractor) for check in checks]
    details = {
        "checks": [
            {"check": r.check, "outcome": r.outcome, "reason": r.reason, "evidence": r.evidence}
            for r in results
        ]
    }
    failed = [r for r in results if r.outcome == "fail"]
    if failed:
        reason = "; ".join(f"{r.check}: {r.reason}" for r in failed)
        contractor = core.move(
            contractor,
            State.REJECTED,
            actor=actor,
            action="checks_failed",
            reason=reason,
            details=details,
        )
        core.notifier.tell_requester(contractor, event="rejected", detail=reason)
    elif all(r.outcome == "pass" for r in results):
        contractor = core.move(
            contractor,
            State.AWAITING_APPROVAL,
            actor=actor,
            action="checks_passed",
            details=details,
        )
    else:
        core.store.append_audit(
            core.entry(actor=actor, action="checks_pending", contractor=contractor, details=details)
        )
    return contractor, results


def approve(core: Core, contractor_id: str, *, approver: str) -> Contractor:
    """Record a second person's approval. Raises ``NotAllowed`` for the requester or the
    contractor, ``IllegalTransition`` if the request is not awaiting approval (already decided),
    ``StaleState`` if another approver won the race."""
    contractor = core.store.get_contractor(contractor_id)
    _ensure_second_person(contractor, approver)
    approved = core.move(
        contractor, State.APPROVED, actor=approver, action="approved", approved_by=approver
    )
    core.notifier.tell_requester(approved, event="approved", detail=f"approved by <@{approver}>")
    return approved


def reject(core: Core, contractor_id: str, *, actor: str, reason: str) -> Contractor:
    """Reject (approver) or withdraw (requester) a request that has not been issued."""
    contractor = core.store.get_contractor(contractor_id)
    if actor == contractor.slack_user_id:
        raise NotAllowed("contractors cannot decide their own request")
    rejected = core.move(contractor, State.REJECTED, actor=actor, action="rejected", reason=reason)
    core.notifier.tell_requester(rejected, event="rejected", detail=reason)
    return rejected


def _ensure_second_person(contractor: Contractor, approver: str) -> None:
    if approver == contractor.requested_by:
        raise NotAllowed("the person who asked cannot approve their own request")
    if approver == contractor.slack_user_id:
        raise NotAllowed("contractors cannot approve their own access")
