"""The onboarding steps the inline command and the modal share: who the person is (from
Slack), the core's request and checks, and the approval card.

Thin on purpose: each step is one core call or one Slack call; the lifecycle rules (four eyes,
one live record per person, valid fields) are the core's.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import date

from slack_sdk.errors import SlackApiError

from bot import messages
from bot.core import onboarding
from bot.core.errors import InvalidRequest
from bot.core.models import Contractor
from bot.core.requests import OnboardingRequest
from bot.core.states import State
from bot.slack import blocks
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


def send_for_approval(deps: Deps, contractor: Contractor) -> Contractor:
    """Run the identity checks (none yet: a later issue adds KYC) and, when they pass, post the
    approval card. Raises ``ApprovalNotPosted`` when the card cannot be posted."""
    checked, results = onboarding.verify(deps.core, contractor.id, checks=[])
    if checked.state is not State.AWAITING_APPROVAL:
        return checked
    if not deps.approval_channel:
        deps.core.notifier.alert_admins(summary=messages.approval_unavailable(), contractor=checked)
        raise ApprovalNotPosted(contractor_id=checked.id, error="no approval channel")
    fallback, card = blocks.approval_card(checked, results)
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
        log.error("approval card for %s not posted: %s", checked.id, error)
        deps.core.notifier.alert_admins(
            summary=messages.approval_card_failed(checked, error), contractor=checked
        )
        raise ApprovalNotPosted(contractor_id=checked.id, error=error) from exc
    return checked
