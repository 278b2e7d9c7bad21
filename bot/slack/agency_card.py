"""The agency cut-off in Slack: the card a second admin confirms on, its progress bar while
the revocations run, and the receipt. Used by the ``/contractor`` door, the card's buttons and
``credbot offboard --email-domain`` (through ``bot.wiring``), so all three post the same card.

The card goes to ``CREDBOT_AUDIT_CHANNEL``: that is where admins watch, and a cut-off needs
one (without it the request is refused before anything is stored). If the card cannot be
posted, the request is cancelled at once (audited), so no cut-off waits on a card nobody saw.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import agency_cutoff, agency_messages
from bot.core.agencies import AgencyCutoff
from bot.core.agency_cutoff import Preview, Receipt
from bot.core.context import Core
from bot.core.sweep import Progress, SweepOptions
from bot.slack.web_client import slack_error

log = logging.getLogger("credbot.slack.agency")

CONFIRM = "credbot_agency_confirm"
CANCEL = "credbot_agency_cancel"
CARD_ACTOR = "credbot"
"""Who cancels a request whose card could not be posted."""
UPDATE_EVERY_S = 1.0
"""The progress bar is redrawn at most this often (Slack allows about one update a second)."""


class NoAuditChannel(Exception):
    """A cut-off needs ``CREDBOT_AUDIT_CHANNEL``: the second admin confirms there."""


class CardNotPosted(Exception):
    """Slack refused the confirmation card; the request was cancelled. ``error``: Slack's."""

    def __init__(self, error: str) -> None:
        super().__init__(f"the confirmation card could not be posted: {error}")
        self.error = error


def ask_second_admin(
    core: Core,
    client: WebClient,
    *,
    channel: str | None,
    domain: str,
    actor: str,
    reason: str,
) -> tuple[AgencyCutoff, Preview]:
    """Record the request (``agency_cutoff.request_cutoff``) and post the card with Confirm
    and Cancel to ``channel``. Raises ``NoAuditChannel`` first when there is no channel,
    the core's refusals, or ``CardNotPosted`` (the request is cancelled then)."""
    if not channel:
        raise NoAuditChannel
    cutoff, found = agency_cutoff.request_cutoff(core, domain, actor=actor, reason=reason)
    text = agency_messages.card(cutoff, found)
    try:
        client.chat_postMessage(
            channel=channel,
            text=text,
            blocks=_card_blocks(text, cutoff),
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        agency_cutoff.cancel_cutoff(core, cutoff.id, actor=CARD_ACTOR)
        raise CardNotPosted(slack_error(exc)) from exc
    return cutoff, found


def _card_blocks(text: str, cutoff: AgencyCutoff) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
        {
            "type": "actions",
            "block_id": "agency_cutoff",
            "elements": [
                {
                    "type": "button",
                    "action_id": CONFIRM,
                    "style": "danger",
                    "text": {
                        "type": "plain_text",
                        "text": f"Confirm: cut off {cutoff.domain}"[:75],
                    },
                    "value": cutoff.id,
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Cut the agency off?"},
                        "text": {
                            "type": "mrkdwn",
                            "text": f"Everyone at `{cutoff.domain}` loses access now.",
                        },
                        "confirm": {"type": "plain_text", "text": "Cut off"},
                        "deny": {"type": "plain_text", "text": "Back"},
                    },
                },
                {
                    "type": "button",
                    "action_id": CANCEL,
                    "text": {"type": "plain_text", "text": "Cancel the request"},
                    "value": cutoff.id,
                },
            ],
        },
    ]


@dataclass
class Card:
    """A posted message (``channel``, ``ts``) whose text is replaced as things go; a failed
    update is logged, never raised: what it reports has happened either way."""

    client: WebClient
    channel: str
    ts: str
    clock: Callable[[], float] = time.monotonic
    _last: float = field(default=0.0)

    def show(self, text: str) -> None:
        """``chat.update`` to ``text`` with no buttons left."""
        try:
            self.client.chat_update(
                channel=self.channel,
                ts=self.ts,
                text=text,
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
            )
        except SlackApiError as exc:
            log.error("agency cut-off card not updated: %s", slack_error(exc))

    def progress(self, cutoff: AgencyCutoff) -> Callable[[int, int], None]:
        """A ``progress(done, total)`` that redraws the bar at most every ``UPDATE_EVERY_S``
        and always at the end."""

        def report(done: int, total: int) -> None:
            now = self.clock()
            if done < total and now - self._last < UPDATE_EVERY_S:
                return
            self._last = now
            self.show(agency_messages.progress(cutoff, done, total))

        return report


def carry_out_and_report(
    core: Core,
    client: WebClient,
    cutoff: AgencyCutoff,
    *,
    options: SweepOptions,
    audit_channel: str,
    card: Card | None = None,
    progress: Progress | None = None,
) -> Receipt:
    """Revoke everyone at the domain (``agency_cutoff.carry_out``) with the progress bar on
    ``card`` (or ``progress``: the CLI's), then show the receipt on the card and post it to
    the audit channel, so every admin gets it. Returns the receipt."""
    receipt = agency_cutoff.carry_out(
        core, cutoff, options=options, progress=card.progress(cutoff) if card else progress
    )
    text = agency_messages.receipt(receipt)
    if card is not None:
        card.show(text)
    try:
        client.chat_postMessage(
            channel=audit_channel, text=text, unfurl_links=False, unfurl_media=False
        )
    except SlackApiError as exc:
        log.error("agency cut-off receipt not posted: %s", slack_error(exc))
    return receipt
