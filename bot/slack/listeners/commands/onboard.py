"""``/contractor onboard``: the modal, or the inline form for power users."""

from __future__ import annotations

from bot import messages
from bot.core import onboarding
from bot.slack import blocks
from bot.slack.deps import Deps
from bot.slack.onboarding_flow import build_request, send_for_approval
from bot.slack.parsing import Onboard
from bot.slack.roles import Role


def open_form(deps: Deps, user_id: str, *, trigger_id: str) -> None:
    """Managers get the modal (``views.open``); the submission is handled in ``views``."""
    deps.require(user_id, Role.MANAGER, action="onboard contractors")
    today = deps.core.clock.now().date()
    deps.client.views_open(
        trigger_id=trigger_id, view=blocks.onboarding_modal(deps.core.policy.roles, today=today)
    )


def onboard_inline(deps: Deps, user_id: str, command: Onboard) -> str:
    """Request, check and send for approval; return the reply for the manager."""
    deps.require(user_id, Role.MANAGER, action="onboard contractors")
    request = build_request(
        deps,
        user_id=command.user_id,
        country=command.country,
        end_date=command.end_date,
        role=command.role,
        justification=command.justification,
    )
    contractor = onboarding.request_onboarding(deps.core, request, requester=user_id)
    checked = send_for_approval(deps, contractor)
    return messages.onboard_requested(
        checked.slack_user_id, checked.state.value, deps.approval_channel
    )
