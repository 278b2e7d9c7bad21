"""From a manager's request to an approved contractor: request, verify, approve or reject.

Four eyes: the requester, the approver and the contractor are three different people; this is
enforced here, in the core, so no door can forget it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace

from bot.core.agency_cutoff import ensure_not_blocked
from bot.core.changes import Change
from bot.core.context import Core
from bot.core.errors import IllegalTransition, NotAllowed
from bot.core.identity import IdentityCheck
from bot.core.models import CheckResult, Contractor
from bot.core.requests import OnboardingRequest, validate_request
from bot.core.states import State

log = logging.getLogger("credbot.core.onboarding")


def request_onboarding(core: Core, request: OnboardingRequest, *, requester: str) -> Contractor:
    """Validate and store a new request in ``requested``.

    Raises ``InvalidRequest`` for a bad field, ``NotAllowed`` when managers ask for themselves,
    ``DuplicateContractor`` when the person already has a live record, ``DomainBlocked`` when
    their agency is cut off. Nothing is stored then.
    """
    now = core.clock.now()
    valid = validate_request(request, today=now.date(), roles=core.policy.roles)
    if valid.slack_user_id == requester:
        raise NotAllowed("you cannot request credentials for yourself")
    ensure_not_blocked(core, valid.email)
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
    ``rejected`` with the reasons; otherwise stay ``verifying`` until a pending check resolves
    (an attestation, a webhook, a ``recheck``). Results are stored with the move and audited.

    Runs again on a request already ``verifying`` (every check afresh: people and settings
    change); raises ``IllegalTransition`` for a request that is decided. Which checks run is
    the caller's choice: ``bot.checks.build_checks`` refuses a set that proves no identity.
    """
    contractor = core.store.get_contractor(contractor_id)
    if contractor.state is State.REQUESTED:
        contractor = core.apply(
            Change(contractor, State.VERIFYING, actor=actor, action="verifying")
        )
    elif contractor.state is not State.VERIFYING:
        raise IllegalTransition(current=contractor.state.value, target=State.VERIFYING.value)
    results = tuple(_run(check, contractor) for check in checks)
    details = {
        "checks": [
            {"check": r.check, "outcome": r.outcome, "reason": r.reason, "evidence": r.evidence}
            for r in results
        ]
    }
    failed = [r for r in results if r.outcome == "fail"]
    if failed:
        reason = "; ".join(f"{r.check}: {r.reason}" for r in failed)
        contractor = core.apply(
            Change(
                contractor,
                State.REJECTED,
                actor=actor,
                action="checks_failed",
                reason=reason,
                details=details,
                checks=results,
            )
        )
        core.notifier.tell_requester(contractor, event="rejected", detail=reason)
    elif all(r.outcome == "pass" for r in results):
        contractor = core.apply(
            Change(
                contractor,
                State.AWAITING_APPROVAL,
                actor=actor,
                action="checks_passed",
                details=details,
                checks=results,
            )
        )
    else:
        contractor = core.apply(
            Change(
                contractor, actor=actor, action="checks_pending", details=details, checks=results
            )
        )
    return contractor, list(results)


def _run(check: IdentityCheck, contractor: Contractor) -> CheckResult:
    """One check; a check that crashes is ``pending``, never ``pass`` (fail closed)."""
    try:
        return check.run(contractor)
    except Exception as exc:
        log.exception("identity check %s crashed on %s", check.name, contractor.id)
        return CheckResult(
            check=check.name,
            outcome="pending",
            reason=f"the check could not run ({type(exc).__name__}); nothing was decided",
        )


def approve(core: Core, contractor_id: str, *, approver: str) -> Contractor:
    """Record a second person's approval. Raises ``NotAllowed`` for the requester or the
    contractor, ``IllegalTransition`` if the request is not awaiting approval (already decided),
    ``StaleState`` if another approver won the race."""
    contractor = core.store.get_contractor(contractor_id)
    _ensure_second_person(contractor, approver)
    approved = core.apply(
        Change(contractor, State.APPROVED, actor=approver, action="approved", approved_by=approver)
    )
    core.notifier.tell_requester(approved, event="approved", detail=f"approved by <@{approver}>")
    return approved


def reject(core: Core, contractor_id: str, *, actor: str, reason: str) -> Contractor:
    """Reject (approver) or withdraw (requester) a request that has not been issued."""
    contractor = core.store.get_contractor(contractor_id)
    if actor == contractor.slack_user_id:
        raise NotAllowed("contractors cannot decide their own request")
    rejected = core.apply(
        Change(contractor, State.REJECTED, actor=actor, action="rejected", reason=reason)
    )
    core.notifier.tell_requester(rejected, event="rejected", detail=reason)
    return rejected


def _ensure_second_person(contractor: Contractor, approver: str) -> None:
    if approver == contractor.requested_by:
        raise NotAllowed("the person who asked cannot approve their own request")
    if approver == contractor.slack_user_id:
        raise NotAllowed("contractors cannot approve their own access")
