"""Approve / Reject: ack, re-check the clicker is an approver, one core call, update the card.

Race-proof because the core's transition is a conditional UPDATE: of two approvers clicking at
once, one wins; the other gets ``StaleState`` (or ``IllegalTransition`` if it read late) and is
told who decided. A click on a card that is already decided is the same case.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot import messages
from bot.core import issuing, onboarding
from bot.core.errors import IllegalTransition, IssueFailed, StaleState
from bot.core.models import Contractor
from bot.slack import blocks, replies
from bot.slack.deps import Deps
from bot.slack.notifier import LinkNotDelivered, slack_error
from bot.slack.roles import Role

log = logging.getLogger("credbot.slack.approval")


def register(app: App, deps: Deps) -> None:
    """Listen to ``credbot_approve`` and ``credbot_reject``."""

    def approve(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        deps.later(lambda: _decide(deps, body, respond, approving=True))

    def reject(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        deps.later(lambda: _decide(deps, body, respond, approving=False))

    app.action(blocks.APPROVE)(approve)
    app.action(blocks.REJECT)(reject)


def _decide(deps: Deps, body: dict[str, Any], respond: Respond, *, approving: bool) -> None:
    user_id = str(body.get("user", {}).get("id", ""))
    contractor_id = str((body.get("actions") or [{}])[0].get("value", ""))
    try:
        deps.require(user_id, Role.APPROVER, action="decide requests")
        if approving:
            decided = onboarding.approve(deps.core, contractor_id, approver=user_id)
        else:
            decided = onboarding.reject(
                deps.core, contractor_id, actor=user_id, reason=f"rejected by {user_id} in Slack"
            )
    except (IllegalTransition, StaleState):
        current = deps.core.store.get_contractor(contractor_id)
        _tell(respond, messages.already_decided(current.state.value, current.approved_by))
        return
    except Exception as exc:
        _tell(respond, replies.describe(exc))
        return
    _update_card(deps, body, decided, "approved" if approving else "rejected", user_id)
    if not approving:
        return
    note = ""
    try:
        issuing.issue(deps.core, decided.id, actor=user_id)
    except (LinkNotDelivered, IssueFailed) as exc:
        note = replies.describe(exc)
        if isinstance(exc, IssueFailed):
            deps.core.notifier.tell_requester(decided, event="issue failed", detail=note)
    except Exception as exc:
        note = replies.describe(exc)
    else:
        note = messages.link_sent(decided.slack_user_id)
    _update_card(deps, body, decided, "approved", user_id, note=note)


def _update_card(
    deps: Deps,
    body: dict[str, Any],
    contractor: Contractor,
    decision: str,
    actor: str,
    *,
    note: str = "",
) -> None:
    """``POST chat.update`` on the card that was clicked: who decided, when, what followed."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if not channel or not ts:
        return
    fallback, card = blocks.decided_card(
        contractor,
        decision=decision,
        actor=actor,
        at=deps.core.clock.now(),
        checks=deps.core.store.check_results(contractor.id),
        note=note,
    )
    try:
        deps.client.chat_update(channel=channel, ts=ts, text=fallback, blocks=card)
    except SlackApiError as exc:
        log.error("approval card %s/%s not updated: %s", channel, ts, slack_error(exc))


def _tell(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)
