"""What happens when an approver clicks Approve."""

from __future__ import annotations

from bot.core import issuing, onboarding
from bot.core.context import Core
from bot.core.errors import IssueFailed
from bot.core.models import Contractor
from bot.core.workflow.cards import show_decision


def approve_and_issue(core: Core, contractor_id: str, *, approver: str, card: str) -> Contractor:
    """Approve the request, show it on its card, issue the account and deliver the link,
    then show on the card what followed. Returns the approved contractor.

    Raises what ``onboarding.approve`` raises (``NotAllowed`` for the requester or the
    contractor, ``IllegalTransition`` or ``StaleState`` when someone else decided first);
    nothing changed then. A failure to issue does not raise: the approval stands, the card
    says what went wrong (``IssueFailed``: the requester is told too; ``LinkNotDelivered``:
    ``send_link`` told the requester and the admins already), and a reissue retries.
    """
    decided = onboarding.approve(core, contractor_id, approver=approver)
    show_decision(core, card, decided, kind="approved", actor=approver)
    failure: Exception | None = None
    try:
        issuing.issue(core, decided.id, actor=approver)
    except IssueFailed as exc:
        core.notifier.tell_requester(decided, event="issue failed", error=exc)
        failure = exc
    except Exception as exc:  # shown on the card; the approval stands either way
        failure = exc
    show_decision(
        core,
        card,
        decided,
        kind="approved",
        actor=approver,
        issued=failure is None,
        failure=failure,
    )
    return decided
