"""The one way a workflow step shows a decision on the request's card."""

from __future__ import annotations

from bot.core.context import Core
from bot.core.decisions import Decision, DecisionKind
from bot.core.models import Contractor


def show_decision(
    core: Core,
    card: str,
    contractor: Contractor,
    *,
    kind: DecisionKind,
    actor: str,
    reason: str = "",
    document: str = "",
    issued: bool = False,
    failure: Exception | None = None,
) -> None:
    """Hand the decision, with the checks as stored now, to ``Notifier.show_decision``."""
    core.notifier.show_decision(
        Decision(
            card=card,
            contractor=contractor,
            kind=kind,
            actor=actor,
            at=core.clock.now(),
            checks=core.store.check_results(contractor.id),
            reason=reason,
            document=document,
            issued=issued,
            failure=failure,
        )
    )
