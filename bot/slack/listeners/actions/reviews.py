"""Keep / End / Keep all on an access-review message: ack, ask the clicker's roles fresh, one
core call, answer the clicker.

The button's value names the review only; whether the clicker may answer it (the contractor's
manager, still a manager; or an admin for reviews sent to the admins) is the core's decision
(``bot.core.reviews.answer``). Every refusal (not yours, answered already, too late) is told
to the clicker alone and changes nothing. An answer replaces its buttons in the message with
who answered what, when (``chat.update``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import App, Respond
from slack_sdk.errors import SlackApiError

from bot.core.errors import CredbotError
from bot.core.review_interfaces import AccessReview
from bot.core.reviews import Answer, Reviewer, answer, keep_all
from bot.core.roles import Role
from bot.slack import replies, review_blocks
from bot.slack.deps import Deps
from bot.slack.web_client import slack_error

log = logging.getLogger("credbot.slack.reviews")

REVIEWS_OFF = "Access reviews are off (CREDBOT_ACCESS_REVIEW_INTERVAL is not set)."


def register(app: App, deps: Deps) -> None:
    """Listen to the review message's buttons."""

    def keep(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
        _tell(respond, _answer(deps, body, "keep"))

    def end(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
        _tell(respond, _answer(deps, body, "end"))

    def keep_every(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
        _tell(respond, _keep_all(deps, body))

    app.action(review_blocks.REVIEW_KEEP)(deps.on_click(keep))
    app.action(review_blocks.REVIEW_END)(deps.on_click(end))
    app.action(review_blocks.REVIEW_KEEP_ALL)(deps.on_click(keep_every))


def _answer(deps: Deps, body: dict[str, Any], decision: Answer) -> str:
    if deps.reviews is None:
        return REVIEWS_OFF
    try:
        review = answer(
            deps.core, deps.reviews, _value(body), decision=decision, reviewer=_reviewer(deps, body)
        )
    except Exception as exc:
        return _refusal(exc)
    _show_answers(deps, body, [review])
    return review_blocks.answered(review)


def _keep_all(deps: Deps, body: dict[str, Any]) -> str:
    if deps.reviews is None:
        return REVIEWS_OFF
    round_text, _, manager = _value(body).partition(":")
    if not round_text.isdigit() or not manager:
        return review_blocks.refusal_of_button()
    try:
        kept = keep_all(
            deps.core,
            deps.reviews,
            round_number=int(round_text),
            manager=manager,
            reviewer=_reviewer(deps, body),
        )
    except Exception as exc:
        return _refusal(exc)
    _show_answers(deps, body, kept)
    return review_blocks.kept_all(kept)


def _show_answers(deps: Deps, body: dict[str, Any], answers: Sequence[AccessReview]) -> None:
    """``chat.update`` the clicked message with the answers in place of their buttons; a
    failure is logged: the answers stand whether or not the message shows them."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    message_blocks = (body.get("message") or {}).get("blocks")
    if not answers or not channel or not ts or not message_blocks:
        return
    try:
        deps.client.chat_update(
            channel=str(channel),
            ts=str(ts),
            text=str((body.get("message") or {}).get("text") or "Access review"),
            blocks=review_blocks.with_answers(message_blocks, answers),
        )
    except SlackApiError as exc:
        log.error("access review message %s:%s not updated: %s", channel, ts, slack_error(exc))


def _reviewer(deps: Deps, body: dict[str, Any]) -> Reviewer:
    """The clicker and the roles they hold now (may raise ``RoleLookupFailed``)."""
    user = str((body.get("user") or {}).get("id", ""))
    return Reviewer(
        user=user,
        is_manager=deps.roles.has(user, Role.MANAGER),
        is_admin=deps.roles.has(user, Role.ADMIN),
    )


def _refusal(exc: Exception) -> str:
    said = review_blocks.refusal(exc) if isinstance(exc, CredbotError) else None
    return said or replies.describe(exc)


def _value(body: dict[str, Any]) -> str:
    return str((body.get("actions") or [{}])[0].get("value", ""))


def _tell(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)
