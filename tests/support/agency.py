"""Contractors at a given email domain, for the agency cut-off tests (core, Slack, CLI)."""

from __future__ import annotations

from bot.core import issuing, onboarding
from bot.core.context import Core
from bot.core.models import Contractor
from tests.support.contractor import enrol
from tests.support.core import APPROVER, MANAGER, link_secret, request_for
from vault.models import AccountSecrets


def requested_at(core: Core, email: str, slack_user: str | None = None) -> Contractor:
    """A new request (``requested``) for a contractor with this email."""
    request = request_for(slack_user, email=email, display_name=email.partition("@")[0].title())
    return onboarding.request_onboarding(core, request, requester=MANAGER)


def active_at(
    core: Core, email: str, slack_user: str | None = None
) -> tuple[Contractor, AccountSecrets]:
    """An ``active`` contractor with this email, enrolled as the page does; returns the
    record and what the contractor saved."""
    contractor = requested_at(core, email, slack_user)
    onboarding.verify(core, contractor.id, checks=[])
    onboarding.approve(core, contractor.id, approver=APPROVER)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    return contractor, enrol(core, link_secret(issued.url), issued.code)
