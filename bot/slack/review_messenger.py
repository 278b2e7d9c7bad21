"""``SlackReviewMessenger``: the core's ``ReviewMessenger`` over Slack's Web API.

A manager's reviews go to their DM; reviews of a manager who left the manager role or Slack go
to the audit channel (``CREDBOT_AUDIT_CHANNEL``), or to each admin user's DM without one, where
any admin may answer them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.review_interfaces import AccessReview, Recipient, ReviewNotDelivered
from bot.core.roles import Role
from bot.slack.directory import SlackDirectory
from bot.slack.review_blocks import review_messages
from bot.slack.roles import Roles
from bot.slack.web_client import slack_error

log = logging.getLogger("credbot.slack.reviews")


class SlackReviewMessenger:
    """Sends review messages; tells whether a manager is still one."""

    def __init__(
        self,
        *,
        client: WebClient,
        roles: Roles,
        audit_channel: str | None,
        admins: Sequence[str] = (),
    ) -> None:
        self._client = client
        self._roles = roles
        self._directory = SlackDirectory(client=client)
        self._admin_targets = (
            [audit_channel] if audit_channel else [a for a in admins if not a.startswith("S")]
        )

    def manager_is_gone(self, manager: str) -> bool:
        """Not in ``CREDBOT_MANAGERS`` (or its groups) any more, or deactivated in Slack
        (``users.info``). Raises ``RoleLookupFailed`` or ``SlackApiError`` when Slack does
        not answer."""
        return not self._roles.has(manager, Role.MANAGER) or self._directory.is_deactivated(manager)

    def send_reviews(
        self, reviews: Sequence[AccessReview], *, recipient: Recipient, reminder: bool
    ) -> None:
        """``chat.postMessage`` (after ``conversations.open`` for a DM) of each message;
        raises ``ReviewNotDelivered`` when Slack refuses one (or there is nobody to send to)."""
        targets = [reviews[0].manager] if recipient == "manager" else self._admin_targets
        if not targets:
            raise ReviewNotDelivered(to="admins", error="no audit channel or admin user set")
        for target in targets:
            try:
                channel = target if target.startswith(("C", "G")) else self._open_dm(target)
                for text, blocks in review_messages(
                    reviews, recipient=recipient, reminder=reminder
                ):
                    self._client.chat_postMessage(
                        channel=channel,
                        text=text,
                        blocks=blocks,
                        unfurl_links=False,
                        unfurl_media=False,
                    )
            except SlackApiError as exc:
                log.error("access review message to %s failed: %s", target, slack_error(exc))
                raise ReviewNotDelivered(to=target, error=slack_error(exc)) from exc
        log.info(
            "access review%s of %d contractor(s) of %s sent to %s",
            " reminder" if reminder else "",
            len(reviews),
            reviews[0].manager,
            recipient,
        )

    def _open_dm(self, user_id: str) -> str:
        """``POST conversations.open``: the DM channel with ``user_id``."""
        response = self._client.conversations_open(users=user_id)
        return str((response.get("channel") or {})["id"])
