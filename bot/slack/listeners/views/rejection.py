"""The reject form's submission: the reason is required (the manager is told it), the
rejection is stored before the ack so a refusal shows inline, and the card is updated after."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import messages
from bot.core import onboarding, queries
from bot.core.errors import IllegalTransition, InvalidRequest, StaleState
from bot.slack import blocks, replies
from bot.slack.deps import Deps
from bot.slack.onboarding_flow import mark_decided
from bot.slack.roles import Role

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
            decided = onboarding.reject(deps.core, contractor_id, actor=user_id, reason=reason)
        except (IllegalTransition, StaleState):
            current = queries.get_contractor(deps.core, contractor_id)
            error = messages.already_decided(current.state.value, current.approved_by)
            ack(response_action="errors", errors={"reason": error})
            return
        except Exception as exc:
            ack(response_action="errors", errors={"reason": replies.describe(exc)})
            return
        ack()
        deps.later(
            lambda: mark_decided(
                deps,
                card,
                decided,
                decision="rejected",
                actor=user_id,
                note=messages.rejection_reason(reason),
            )
        )

    app.view(blocks.REJECT_VIEW)(submitted)
