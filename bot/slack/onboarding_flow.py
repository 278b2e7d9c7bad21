"""The onboarding steps the inline command, the modal, ``recheck``, the attestation and the KYC
webhook share: who the person is (from Slack), the core's request and checks, and the cards.

Thin on purpose: each step is one core call or one Slack call; the lifecycle rules (four eyes,
one live record per person, valid fields) are the core's.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import messages
from bot.core import onboarding
from bot.core.errors import InvalidRequest
from bot.core.models import CheckResult, Contractor
from bot.core.requests import OnboardingRequest
from bot.core.states import State
from bot.slack import blocks
from bot.slack.blocks import Block
from bot.slack.deps import Deps
from bot.slack.directory import look_up
from bot.slack.notifier import slack_error

log = logging.getLogger("credbot.slack.onboarding")


class ApprovalNotPosted(Exception):
    """The request is stored and checked but no approver can see it (the admins were told)."""

    def __init__(self, *, contractor_id: str, error: str) -> None:
        super().__init__(f"approval card for {contractor_id} not posted: {error}")
        self.contractor_id = contractor_id
        self.error = error


def default_role(role: str | None, roles: Collection[str]) -> str:
    """The role asked for, or the only configured one; ``InvalidRequest`` if ambiguous."""
    if role is not None:
        return role
    if len(roles) == 1:
        return next(iter(roles))
    raise InvalidRequest(field="role", problem=f"name one with role= ({', '.join(sorted(roles))})")


def build_request(
    deps: Deps,
    *,
    user_id: str,
    country: str,
    end_date: date,
    role: str | None,
    justification: str,
) -> OnboardingRequest:
    """The request with email and name from ``users.info`` (raises ``NotAContractor``,
    ``SlackLookupFailed``)."""
    person = look_up(deps.client, user_id)
    return OnboardingRequest(
        slack_user_id=person.user_id,
        email=person.email,
        display_name=person.name,
        country=country,
        end_date=end_date,
        role=default_role(role, deps.core.policy.roles),
        justification=justification,
    )


def run_checks(
    deps: Deps, contractor_id: str, *, repost: bool = False
) -> tuple[Contractor, list[CheckResult]]:
    """Run the identity checks (again) and show approvers what they can act on.

    Checks passed: post the approval card. A check waits for an approver's attestation on the
    first run, or on a manager's ``recheck`` (``repost``): post the verification card with
    its button. Any check failed: the core has rejected the request and told the manager; the
    approvers see why on a card without buttons (a request that fails its checks is worth a
    look). Raises ``ApprovalNotPosted`` when a card cannot be posted, ``IllegalTransition``
    when the request was already decided.

    Why ``repost``: a card is posted after the state change it shows commits, so a replica
    that dies in between leaves a request nobody can act on; ``recheck`` is how a manager
    gets the card back. Other re-runs (an attestation, a verification service's result)
    do not repost, or every one would add a card.
    """
    first_run = deps.core.store.get_contractor(contractor_id).state is State.REQUESTED
    checked, results = onboarding.verify(deps.core, contractor_id, checks=deps.checks)
    if checked.state is State.AWAITING_APPROVAL:
        _post_card(deps, checked, *blocks.approval_card(checked, results))
    elif (
        checked.state is State.VERIFYING
        and (first_run or repost)
        and blocks.awaits_attestation(results)
    ):
        _post_card(deps, checked, *blocks.verification_card(checked, results))
    elif checked.state is State.REJECTED:
        _post_card(deps, checked, *blocks.checks_failed_card(checked, results))
    return checked, results


def repost_approval_card(deps: Deps, contractor: Contractor) -> None:
    """Post the approval card of a request awaiting approval again, with the checks it passed
    (``recheck``: the first card may have died with a replica, see ``run_checks``). Two cards
    are harmless: the first decision wins on either, the other is told it was decided."""
    checks = deps.core.store.check_results(contractor.id)
    _post_card(deps, contractor, *blocks.approval_card(contractor, checks))


def _post_card(deps: Deps, contractor: Contractor, fallback: str, card: list[Block]) -> None:
    """``chat.postMessage`` to the approval channel; admins hear when that is impossible."""
    if not deps.approval_channel:
        deps.core.notifier.alert_admins(
            summary=messages.approval_unavailable(), contractor=contractor
        )
        raise ApprovalNotPosted(contractor_id=contractor.id, error="no approval channel")
    try:
        deps.client.chat_postMessage(
            channel=deps.approval_channel,
            text=fallback,
            blocks=card,
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        error = slack_error(exc)
        log.error("card for %s not posted: %s", contractor.id, error)
        deps.core.notifier.alert_admins(
            summary=messages.approval_card_failed(contractor, error), contractor=contractor
        )
        raise ApprovalNotPosted(contractor_id=contractor.id, error=error) from exc


def mark_decided(
    deps: Deps,
    card: str,
    contractor: Contractor,
    *,
    decision: str,
    actor: str,
    note: str = "",
) -> None:
    """``chat.update`` a card (``channel:ts``): who decided what and when, the checks, no more
    buttons. A failure is logged: the decision stands whether or not the card shows it."""
    channel, _, ts = card.partition(":")
    if not channel or not ts:
        return
    fallback, updated = blocks.decided_card(
        contractor,
        decision=decision,
        actor=actor,
        at=deps.core.clock.now(),
        checks=deps.core.store.check_results(contractor.id),
        note=note,
    )
    try:
        deps.client.chat_update(channel=channel, ts=ts, text=fallback, blocks=updated)
    except SlackApiError as exc:
        log.error("card %s not updated: %s", card, slack_error(exc))


def card_of(body: dict[str, Any]) -> str:
    """The ``channel:ts`` of the message a button was clicked on."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts") or ""
    return f"{channel}:{ts}"


def recheck_and_tell(deps: Deps, contractor_id: str) -> None:
    """After something outside Slack changed a check (a verification service's result): run
    the checks again and DM the manager who asked what followed."""
    contractor = deps.core.store.get_contractor(contractor_id)
    try:
        checked, results = run_checks(deps, contractor_id)
        text = messages.checks_outcome(checked, results, deps.approval_channel)
    except Exception as exc:
        log.exception("checks of %s did not run again", contractor_id)
        text = messages.recheck_failed(contractor, type(exc).__name__)
    tell_user(deps.client, contractor.requested_by, text)


def tell_user(client: WebClient, user_id: str, text: str) -> None:
    """DM someone what their form or an outside event led to (``chat.postMessage`` to their
    user ID: the app's DM). Forms have no ``response_url``; this is the way back."""
    try:
        client.chat_postMessage(channel=user_id, text=text, unfurl_links=False)
    except SlackApiError as exc:
        log.error("could not DM %s: %s", user_id, slack_error(exc))
