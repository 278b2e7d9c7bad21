"""Approve / Reject: ack, re-check the clicker is an approver, one core call
(``bot.core.workflow.approve``: approve, issue, deliver, tell; the card is updated through the
notifier).

Race-proof because the core's transition is a conditional UPDATE: of two approvers clicking at
once, one wins; the other gets ``StaleState`` (or ``IllegalTransition`` if it read late) and is
told who decided. A click on a card that is already decided is the same case. Reject asks for
a reason first (the form's submission is ``bot.slack.listeners.views.rejection``): the manager
is told why.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from bot.core import queries
from bot.core.errors import IllegalTransition, StaleState
from bot.core.roles import Role
from bot.core.states import State
from bot.core.workflow.approve import approve_and_issue
from bot.slack import blocks, messages, replies
from bot.slack.cards import card_of
from bot.slack.deps import Deps

UNDECIDED = frozenset({State.REQUESTED, State.VERIFYING, State.AWAITING_APPROVAL})
"""States in which an approver may still reject."""


def register(app: App, deps: Deps) -> None:
    """Listen to ``credbot_approve`` and ``credbot_reject``."""

    app.action(blocks.APPROVE)(deps.on_click(_approve))
    app.action(blocks.REJECT)(deps.on_click(_ask_reason))


def _approve(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """Check the clicker may decide, then ``approve_and_issue`` (the card shows the rest)."""
    user_id = str(body.get("user", {}).get("id", ""))
    contractor_id = _clicked(body)
    try:
        deps.require(user_id, Role.APPROVER, action="decide requests")
        approve_and_issue(deps.core, contractor_id, approver=user_id, card=card_of(body))
    except (IllegalTransition, StaleState):
        _tell(respond, _already_decided(deps, contractor_id))
    except Exception as exc:
        _tell(respond, replies.describe(exc))


def _ask_reason(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """Open the reason form, unless the clicker may not decide or it is decided already."""
    user_id = str(body.get("user", {}).get("id", ""))
    contractor_id = _clicked(body)
    try:
        deps.require(user_id, Role.APPROVER, action="decide requests")
        contractor = queries.get_contractor(deps.core, contractor_id)
        if contractor.state not in UNDECIDED:
            _tell(respond, _already_decided(deps, contractor_id))
            return
        deps.client.views_open(
            trigger_id=str(body.get("trigger_id", "")),
            view=blocks.rejection_modal(contractor, card=card_of(body)),
        )
    except Exception as exc:
        _tell(respond, replies.describe(exc))


def _clicked(body: dict[str, Any]) -> str:
    return str((body.get("actions") or [{}])[0].get("value", ""))


def _already_decided(deps: Deps, contractor_id: str) -> str:
    current = queries.get_contractor(deps.core, contractor_id)
    return messages.already_decided(current.state.value, current.approved_by)


def _tell(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)
