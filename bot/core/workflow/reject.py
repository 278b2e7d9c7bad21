"""What happens when an approver rejects a request, with a reason."""

from __future__ import annotations

from bot.core import onboarding
from bot.core.context import Core
from bot.core.models import Contractor
from bot.core.workflow.cards import show_decision


def reject_request(
    core: Core, contractor_id: str, *, actor: str, reason: str, card: str
) -> Contractor:
    """Reject (``onboarding.reject``: the manager is told why), then show it on the card.
    Raises what ``onboarding.reject`` raises; nothing changed then."""
    rejected = onboarding.reject(core, contractor_id, actor=actor, reason=reason)
    show_decision(core, card, rejected, kind="rejected", actor=actor, reason=reason)
    return rejected
