"""``SlackNotifier``: the core's ``Notifier`` over Slack's Web API.

- ``ask_approvers`` posts the request's card (``bot.slack.cards``) to
  ``CREDBOT_APPROVAL_CHANNEL``; when it cannot, the admins are alerted and it raises
  ``ApprovalNotPosted``. ``show_decision`` updates that card (``chat.update``); a failure is
  logged, the decision stands.
- ``send_link`` DMs the contractor (``conversations.open`` then ``chat.postMessage`` with
  ``unfurl_links`` and ``unfurl_media`` false). The link is in the message text only: never in a
  button URL (Slack fetches those to show previews and clients may prefetch them), never in
  blocks, never logged. A failed DM raises ``LinkNotDelivered`` after telling the requester and
  the admins, so a lost link is always seen by a person who can reissue.
- ``tell_requester`` DMs the manager who asked; ``alert_admins`` posts to
  ``CREDBOT_AUDIT_CHANNEL`` (or DMs each configured admin user when no channel is set);
  ``publish_anchor`` posts each newly signed audit anchor to that channel; ``tell_checks``
  DMs the manager where their request stands after its checks ran again.
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

from bot.core.decisions import Decision
from bot.core.errors import ApprovalNotPosted, CredbotError, LinkNotDelivered
from bot.core.messages import anchor_notice, explain
from bot.core.models import CheckResult, Contractor, SignedAnchor
from bot.slack import cards, messages
from bot.slack.web_client import slack_error

log = logging.getLogger("credbot.slack.notifier")


def tell_user(client: WebClient, user_id: str, text: str) -> None:
    """DM someone what their form or an outside event led to (``chat.postMessage`` to their
    user ID: the app's DM). Forms have no ``response_url``; this is the way back. A failure
    is logged: what the DM reports has happened already."""
    try:
        client.chat_postMessage(channel=user_id, text=text, unfurl_links=False)
    except SlackApiError as exc:
        log.error("could not DM %s: %s", user_id, slack_error(exc))


class SlackNotifier:
    """Tells people about lifecycle events through Slack DMs and the audit channel."""

    def __init__(
        self,
        *,
        client: WebClient,
        audit_channel: str | None,
        admins: Sequence[str] = (),
        approval_channel: str | None = None,
    ) -> None:
        self._client = client
        self._audit_channel = audit_channel
        self._admin_users = [admin for admin in admins if not admin.startswith("S")]
        self._approval_channel = approval_channel

    def ask_approvers(self, contractor: Contractor, checks: Sequence[CheckResult]) -> None:
        """``chat.postMessage`` the request's card to the approval channel; admins hear when
        that is impossible, and ``ApprovalNotPosted`` is raised."""
        fallback, card = cards.request_card(contractor, checks)
        if not self._approval_channel:
            self.alert_admins(summary=messages.approval_unavailable(), contractor=contractor)
            raise ApprovalNotPosted(contractor_id=contractor.id, error="no approval channel")
        try:
            self._client.chat_postMessage(
                channel=self._approval_channel,
                text=fallback,
                blocks=card,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = slack_error(exc)
            log.error("card for %s not posted: %s", contractor.id, error)
            self.alert_admins(
                summary=messages.approval_card_failed(contractor, error), contractor=contractor
            )
            raise ApprovalNotPosted(contractor_id=contractor.id, error=error) from exc

    def show_decision(self, decision: Decision) -> None:
        """``chat.update`` the card (``channel:ts``): who decided what and when, the checks,
        no more buttons. A failure is logged: the decision stands whether or not the card
        shows it."""
        channel, _, ts = decision.card.partition(":")
        if not channel or not ts:
            return
        fallback, updated = cards.decided_card(decision)
        try:
            self._client.chat_update(channel=channel, ts=ts, text=fallback, blocks=updated)
        except SlackApiError as exc:
            log.error("card %s not updated: %s", decision.card, slack_error(exc))

    def tell_checks(
        self, contractor: Contractor, checks: Sequence[CheckResult], *, failed: str = ""
    ) -> None:
        """DM the manager who asked (``chat.postMessage`` to their user ID) where the request
        stands, or that the checks could not run again (``failed``)."""
        text = (
            messages.recheck_failed(contractor, failed)
            if failed
            else messages.checks_outcome(contractor, checks, self._approval_channel)
        )
        tell_user(self._client, contractor.requested_by, text)

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

    def tell_requester(
        self,
        contractor: Contractor,
        *,
        event: str,
        detail: str = "",
        error: CredbotError | None = None,
    ) -> None:
        """DM the manager who asked (``conversations.open`` + ``chat.postMessage``); an
        ``error`` is explained as every Slack reply explains it."""
        explained = explain(error) if error is not None else detail
        text = messages.requester_update(contractor, event=event, detail=explained)
        try:
            self._client.chat_postMessage(
                channel=self._open_dm(contractor.requested_by),
                text=text,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            code = slack_error(exc)
            log.error(
                "DM to requester %s about %s failed: %s", contractor.requested_by, event, code
            )
            self.alert_admins(
                summary=messages.requester_not_told(contractor, event=event, error=code)
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
        text = anchor_notice(anchor)
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
