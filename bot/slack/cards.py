"""The approvers' cards: which card shows a request, what a decided card says under it, and
which card a button was clicked on. Posting and updating is ``SlackNotifier``'s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.decisions import Decision
from bot.core.identity import DOCUMENT_TYPES
from bot.core.models import CheckResult, Contractor
from bot.core.states import State
from bot.slack import blocks, messages, replies
from bot.slack.blocks import Block


def request_card(contractor: Contractor, checks: Sequence[CheckResult]) -> tuple[str, list[Block]]:
    """The card for a request in its state: awaiting approval (Approve / Reject), verifying
    (the ID check's button), rejected by the checks (why, no buttons)."""
    if contractor.state is State.AWAITING_APPROVAL:
        return blocks.approval_card(contractor, checks)
    if contractor.state is State.VERIFYING:
        return blocks.verification_card(contractor, checks)
    return blocks.checks_failed_card(contractor, checks)


def decision_note(decision: Decision) -> str:
    """What the card says under who decided: what followed the decision."""
    if decision.failure is not None:
        return replies.describe(decision.failure)
    if decision.issued:
        return messages.link_sent(decision.contractor.slack_user_id)
    if decision.reason:
        return messages.rejection_reason(decision.reason)
    if decision.document:
        return messages.attested(decision.actor, DOCUMENT_TYPES[decision.document])
    return ""


def decided_card(decision: Decision) -> tuple[str, list[Block]]:
    """The card after ``decision``: who decided what and when, the checks, no buttons."""
    return blocks.decided_card(
        decision.contractor,
        decision=decision.kind,
        actor=decision.actor,
        at=decision.at,
        checks=decision.checks,
        note=decision_note(decision),
    )


def card_of(body: dict[str, Any]) -> str:
    """The ``channel:ts`` of the message a button was clicked on."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts") or ""
    return f"{channel}:{ts}"
