"""``SlackSharingAlerts``: shared-account alerts, with the admins' buttons, in the audit
channel (or, without one, in each admin user's DM), as ``SlackNotifier.alert_admins`` does."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.models import Contractor
from bot.core.sharing import SharingFlag, SharingRules
from bot.slack.sharing_card import alert_card
from bot.slack.web_client import slack_error

log = logging.getLogger("credbot.slack.sharing")


class SlackSharingAlerts:
    """``bot.core.sharing.SharingAlerts`` over Slack's Web API."""

    def __init__(
        self,
        *,
        client: WebClient,
        audit_channel: str | None,
        admins: Sequence[str] = (),
        rules: SharingRules,
    ) -> None:
        self._client = client
        self._targets = [audit_channel] if audit_channel else [a for a in admins if a[:1] in "UW"]
        self._rules = rules

    def post_flag(self, flag: SharingFlag, contractor: Contractor | None) -> bool:
        """``chat.postMessage`` the alert card to each target (``conversations.open`` first
        for a user); ``False`` when none took it (logged; the reader posts it again later)."""
        fallback, blocks = alert_card(flag, contractor, self._rules)
        posted = False
        for target in self._targets:
            try:
                channel = target
                if target[:1] in "UW":
                    channel = str(self._client.conversations_open(users=target)["channel"]["id"])
                self._client.chat_postMessage(
                    channel=channel, text=fallback, blocks=blocks, unfurl_links=False
                )
                posted = True
            except SlackApiError as exc:
                log.error(
                    "shared-account alert %s not posted to %s: %s",
                    flag.id,
                    target,
                    slack_error(exc),
                )
        if not self._targets:
            log.error("ALERT (no audit channel or admin user configured): %s", fallback)
            return True
        return posted
