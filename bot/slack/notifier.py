"""``SlackNotifier``: the core's ``Notifier`` over Slack's Web API.

- ``send_link`` DMs the contractor (``conversations.open`` then ``chat.postMessage`` with
  ``unfurl_links`` and ``unfurl_media`` false). The link is in the message text only: never in a
  button URL (Slack fetches those to show previews and clients may prefetch them), never in
  blocks, never logged. A failed DM raises ``LinkNotDelivered`` after telling the requester and
  the admins, so a lost link is always seen by a person who can reissue.
- ``tell_requester`` DMs the manager who asked; ``alert_admins`` posts to
  ``CREDBOT_AUDIT_CHANNEL`` (or DMs each configured admin user when no channel is set);
  ``publish_anchor`` posts each newly signed audit anchor to that channel.
  Their failures are logged at ERROR (and ``tell_requester``'s forwarded to the admins) but
  not raised: the state change they report has already happened.

Rate limits are retried by the ``WebClient``'s retry handlers (built in ``bot.wiring``), so a
``SlackApiError`` reaching this module is final.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import messages
from bot.core.models import Contractor, SignedAnchor

log = logging.getLogger("credbot.slack.notifier")


class LinkNotDelivered(Exception):
    """The contractor's DM with the link could not be sent; ``error`` is Slack's error code."""

    def __init__(self, *, contractor_id: str, error: str) -> None:
        super().__init__(f"the link for contractor {contractor_id} was not delivered: {error}")
        self.contractor_id = contractor_id
        self.error = error


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code from an API error (never the request, which may hold a secret)."""
    return str(exc.response.get("error", "unknown_error"))


class SlackNotifier:
    """Tells people about lifecycle events through Slack DMs and the audit channel."""

    def __init__(
        self, *, client: WebClient, audit_channel: str | None, admins: Sequence[str] = ()
    ) -> None:
        self._client = client
        self._audit_channel = audit_channel
        self._admin_users = [admin for admin in admins if not admin.startswith("S")]

    def send_link(self, contractor: Contractor, *, url: str, code: str) -> None:
        """DM the one-time link and its confirmation code to the contractor only.

        Calls ``POST conversations.open`` and ``POST chat.postMessage`` (unfurling off).
        Raises ``LinkNotDelivered``.
        """
        try:
            channel = self._open_dm(contractor.slack_user_id)
            self._client.chat_postMessage(
                channel=channel,
                text=messages.link_dm(contractor.display_name, url=url, code=code),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = slack_error(exc)
            log.error("link DM for contractor %s failed: %s", contractor.id, error)
            self.tell_requester(contractor, event="link not delivered", detail=error)
            self.alert_admins(summary=messages.link_not_delivered(contractor, error))
            raise LinkNotDelivered(contractor_id=contractor.id, error=error) from exc
        log.info("link DM sent to contractor %s", contractor.id)

    def tell_requester(self, contractor: Contractor, *, event: str, detail: str = "") -> None:
        """DM the manager who asked (``conversations.open`` + ``chat.postMessage``)."""
        text = messages.requester_update(contractor, event=event, detail=detail)
        try:
            self._client.chat_postMessage(
                channel=self._open_dm(contractor.requested_by),
                text=text,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = slack_error(exc)
            log.error(
                "DM to requester %s about %s failed: %s", contractor.requested_by, event, error
            )
            self.alert_admins(
                summary=messages.requester_not_told(contractor, event=event, error=error)
            )

    def alert_admins(self, *, summary: str, contractor: Contractor | None = None) -> None:
        """Post to the audit channel, or DM each admin user when there is none."""
        text = messages.admin_alert(summary, contractor)
        targets = [self._audit_channel] if self._audit_channel else self._admin_users
        if not targets:
            log.error("ALERT (no audit channel or admin user configured): %s", summary)
        for target in targets:
            try:
                channel = target if target.startswith(("C", "G")) else self._open_dm(target)
                self._client.chat_postMessage(
                    channel=channel, text=text, unfurl_links=False, unfurl_media=False
                )
            except SlackApiError as exc:
                log.error(
                    "ALERT could not be posted to %s (%s): %s", target, slack_error(exc), summary
                )

    def publish_anchor(self, anchor: SignedAnchor) -> None:
        """Post the signed anchor to the audit channel (``chat.postMessage``); without one,
        or when Slack refuses, it is logged: the anchor itself is safe in Vault already."""
        text = messages.anchor_notice(anchor)
        if not self._audit_channel:
            log.info("%s", text)
            return
        try:
            self._client.chat_postMessage(
                channel=self._audit_channel, text=text, unfurl_links=False, unfurl_media=False
            )
        except SlackApiError as exc:
            log.error("audit anchor could not be posted (%s): %s", slack_error(exc), text)

    def _open_dm(self, user_id: str) -> str:
        """``POST conversations.open``: the DM channel with ``user_id``."""
        response = self._client.conversations_open(users=user_id)
        channel = response.get("channel") or {}
        return str(channel["id"])
