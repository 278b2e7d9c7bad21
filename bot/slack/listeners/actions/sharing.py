""" "Lock now" / "It's fine" on a shared-account alert: ack, re-check the clicker is an admin,
one core call (``bot.core.sharing.lock_now`` or ``dismiss``), update the card.

A non-admin is told so (ephemeral) and nothing changes; so is a second answer to a decided
alert (the core's conditional update decides which of two admins clicking at once wins).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond
from slack_sdk.errors import SlackApiError

from bot.core import sharing
from bot.core.roles import Role
from bot.slack import replies, sharing_card
from bot.slack.cards import card_of
from bot.slack.deps import Deps
from bot.slack.web_client import slack_error

log = logging.getLogger("credbot.slack.sharing")

Decide = Callable[[sharing.SharedAccounts, str], sharing.SharingFlag]


def register(app: App, deps: Deps) -> None:
    """Listen to the alert's two buttons."""

    def lock(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
        _answer(deps, body, respond, lambda s, f: sharing.lock_now(s, f, admin=_user(body)))

    def fine(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
        _answer(deps, body, respond, lambda s, f: sharing.dismiss(s, f, admin=_user(body)))

    app.action(sharing_card.LOCK_NOW)(deps.on_click(lock))
    app.action(sharing_card.ITS_FINE)(deps.on_click(fine))


def _answer(deps: Deps, body: dict[str, Any], respond: Respond, decide: Decide) -> None:
    flag_id = str((body.get("actions") or [{}])[0].get("value", ""))
    try:
        deps.require(_user(body), Role.ADMIN, action="answer shared-account alerts")
        if deps.sharing is None:
            _tell(respond, sharing_card.detection_off())
            return
        decided = decide(deps.sharing, flag_id)
    except Exception as exc:
        _tell(respond, replies.describe(exc))
        return
    channel, _, ts = card_of(body).partition(":")
    contractor = sharing.flag_contractor(deps.sharing, decided)
    fallback, blocks = sharing_card.decided_card(decided, contractor, deps.sharing.rules)
    try:
        deps.client.chat_update(channel=channel, ts=ts, text=fallback, blocks=blocks)
    except SlackApiError as exc:
        log.error("shared-account alert %s not updated: %s", decided.id, slack_error(exc))


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _tell(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)
