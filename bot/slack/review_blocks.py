"""The access-review message (Keep / End per contractor, "Keep all") and every text a
reviewer reads about reviews, beside the door that shows them.

A button carries only a review id (or, for "Keep all", the round and the manager): who may
answer is decided on the server at each click, never by what the button says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.errors import CredbotError, RevocationPending
from bot.core.review_interfaces import (
    AccessReview,
    NotTheReviewer,
    Recipient,
    ReviewAlreadyDecided,
    ReviewClosed,
    ReviewNotFound,
)

REVIEW_KEEP = "credbot_review_keep"
REVIEW_END = "credbot_review_end"
REVIEW_KEEP_ALL = "credbot_review_keep_all"
PER_MESSAGE = 20
"""Contractors per message: two blocks each, under Slack's 50 blocks per message."""
KEEP_ALL_FROM = 2
"""Lists at least this long get a "Keep all" button."""


def review_messages(
    reviews: Sequence[AccessReview], *, recipient: Recipient, reminder: bool
) -> list[tuple[str, list[dict[str, Any]]]]:
    """One manager's reviews as messages of at most ``PER_MESSAGE`` contractors: (fallback
    text, blocks) each."""
    first = reviews[0]
    intro = _intro(first, count=len(reviews), recipient=recipient, reminder=reminder)
    messages = []
    for start in range(0, len(reviews), PER_MESSAGE):
        chunk = reviews[start : start + PER_MESSAGE]
        blocks: list[dict[str, Any]] = [_section(intro)]
        if len(reviews) >= KEEP_ALL_FROM:
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"review_all_{start}",
                    "elements": [
                        _button("Keep all", REVIEW_KEEP_ALL, f"{first.round}:{first.manager}")
                    ],
                }
            )
        for review in chunk:
            blocks.append(_section(f"*{review.contractor_name}* (<@{review.contractor_slack_id}>)"))
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"review_{review.id}",
                    "elements": [
                        _button("Keep", REVIEW_KEEP, review.id, style="primary"),
                        _end_button(review),
                    ],
                }
            )
        messages.append((intro, blocks))
    return messages


def with_answers(
    message_blocks: Sequence[dict[str, Any]], answers: Sequence[AccessReview]
) -> list[dict[str, Any]]:
    """The review message's blocks with each answered review's buttons replaced by who
    answered what and when (other blocks as they were)."""
    by_block = {f"review_{review.id}": review for review in answers}
    return [
        _answered_context(by_block[block["block_id"]])
        if block.get("block_id") in by_block
        else block
        for block in message_blocks
    ]


def _answered_context(review: AccessReview) -> dict[str, Any]:
    verb = "Access ended" if review.decision == "end" else "Kept"
    text = f"{verb} by {_who(review.decided_by)} at {_time(review.decided_at)}"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def answered(review: AccessReview) -> str:
    """What the reviewer sees after answering."""
    if review.decision == "end":
        return f"Access of {review.contractor_name} ended (access review {review.id})."
    return f"{review.contractor_name} keeps access (access review {review.id})."


def kept_all(reviews: Sequence[AccessReview]) -> str:
    """The answer to "Keep all"."""
    if not reviews:
        return "Nothing left to answer in this review: every contractor has an answer already."
    names = ", ".join(review.contractor_name for review in reviews)
    return f"Kept {len(reviews)} contractor(s): {names}."


def refusal_of_button() -> str:
    """A "Keep all" button whose value is not one credbot made."""
    return "This button is not one credbot sent. Nothing was changed."


def refusal(error: CredbotError) -> str | None:
    """The sentence for an answer the core refused (``None``: not a review error)."""
    match error:
        case ReviewNotFound():
            return "This access review does not exist (any more). Nothing was changed."
        case NotTheReviewer(review=review):
            who = "the admins" if review.recipient == "admins" else f"<@{review.manager}>"
            return (
                f"Only {who} can answer the access review of {review.contractor_name}. "
                "Nothing was changed."
            )
        case ReviewAlreadyDecided(review=review):
            return (
                f"The access review of {review.contractor_name} was already answered "
                f"({review.decision}) by {_who(review.decided_by)} at {_time(review.decided_at)}. "
                "Nothing was changed."
            )
        case ReviewClosed(review=review):
            return (
                f"Too late: the access review of {review.contractor_name} closed at "
                f"{_time(review.deadline)}, so access ends as for an ended contract. To give "
                "access back, onboard them again. Nothing was changed."
            )
        case RevocationPending(cause=cause):
            return (
                f"Your answer is recorded; Vault has not confirmed the revocation yet ({cause}). "
                "The sweep finishes it."
            )
    return None


def _intro(first: AccessReview, *, count: int, recipient: Recipient, reminder: bool) -> str:
    whose = (
        "your contractors"
        if recipient == "manager"
        else f"the contractors of <@{first.manager}>, who is no longer a manager or left Slack"
    )
    prefix = "Reminder: access review" if reminder else "Access review"
    return (
        f"{prefix} (round {first.round}): do {whose} still need Vault access? {count} to "
        f"answer by {_time(first.deadline)}. Unanswered, their access ends then."
    )


def _end_button(review: AccessReview) -> dict[str, Any]:
    button = _button("End", REVIEW_END, review.id, style="danger")
    button["confirm"] = {
        "title": {"type": "plain_text", "text": "End access?"},
        "text": {
            "type": "mrkdwn",
            "text": f"{review.contractor_name} loses every credential now.",
        },
        "confirm": {"type": "plain_text", "text": "End access"},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
    return button


def _button(text: str, action_id: str, value: str, *, style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _who(user: str | None) -> str:
    return f"<@{user}>" if user and user.startswith(("U", "W")) else (user or "credbot")


def _time(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "?"
