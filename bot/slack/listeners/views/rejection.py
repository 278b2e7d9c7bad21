"""The reject form's submission: the reason is required (the manager is told it); the
rejection (``bot.core.workflow.reject``: stored, then shown on the card) happens before the
ack, so a refusal shows inline."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.core import queries
from bot.core.errors import IllegalTransition, InvalidRequest, StaleState
from bot.core.roles import Role
from bot.core.workflow.reject import reject_request
from bot.slack import blocks, messages, replies
from bot.slack.deps import Deps

MAX_REASON = 300


def register(app: App, deps: Deps) -> None:
    """Listen to ``credbot_reject_reason`` submissions."""

    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = str(body.get("user", {}).get("id", ""))
        contractor_id, _, card = str(view.get("private_metadata", "")).partition("|")
        values = (view.get("state") or {}).get("values") or {}
        reason = str(((values.get("reason") or {}).get("value") or {}).get("value") or "").strip()
        try:
            deps.require(user_id, Role.APPROVER, action="decide requests")
            if not reason or len(reason) > MAX_REASON:
                raise InvalidRequest(
                    field="reason", problem=f"say why in 1-{MAX_REASON} characters"
                )
            reject_request(deps.core, contractor_id, actor=user_id, reason=reason, card=card)
        except (IllegalTransition, StaleState):
            current = queries.get_contractor(deps.core, contractor_id)
            error = messages.already_decided(current.state.value, current.approved_by)
            ack(response_action="errors", errors={"reason": error})
            return
        except Exception as exc:
            ack(response_action="errors", errors={"reason": replies.describe(exc)})
            return
        ack()

    app.view(blocks.REJECT_VIEW)(submitted)
