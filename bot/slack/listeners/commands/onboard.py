"""``/contractor onboard``: the modal, or the inline form for power users; and ``recheck``,
which runs a waiting request's identity checks again."""

from __future__ import annotations

from bot.core.errors import NotAllowed
from bot.core.queries import find_contractor
from bot.core.roles import Role
from bot.core.states import State
from bot.core.workflow import recheck as rechecking
from bot.core.workflow.request import request_and_verify
from bot.slack import blocks, messages
from bot.slack.deps import Deps
from bot.slack.onboarding_request import build_request
from bot.slack.parsing import Onboard, Recheck


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
    checked, results = request_and_verify(deps.core, request, requester=user_id, checks=deps.checks)
    return messages.checks_outcome(checked, results, deps.approval_channel)


def recheck(deps: Deps, user_id: str, command: Recheck) -> str:
    """The manager who asked, or an admin, runs the identity checks of a waiting request again
    and gets the card it waits on posted again (an ID check, or the approval)."""
    deps.require(user_id, Role.MANAGER, Role.ADMIN, action="recheck requests")
    contractor = find_contractor(deps.core, command.user_id)
    if contractor.requested_by != user_id and not deps.roles.has(user_id, Role.ADMIN):
        raise NotAllowed("only the manager who asked, or an admin, can recheck")
    done = rechecking.recheck(deps.core, contractor, checks=deps.checks)
    if done.ran:
        return messages.checks_outcome(done.contractor, done.results, deps.approval_channel)
    if done.contractor.state is State.AWAITING_APPROVAL:
        return messages.approval_card_again(done.contractor, deps.approval_channel)
    return messages.nothing_to_recheck(done.contractor)
