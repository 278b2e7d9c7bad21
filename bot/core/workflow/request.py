"""A manager's request, stored, checked and shown to the approvers in one step."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import onboarding
from bot.core.context import Core
from bot.core.identity import IdentityCheck
from bot.core.models import CheckResult, Contractor
from bot.core.requests import OnboardingRequest
from bot.core.workflow.verify import verify_and_ask


def request_and_verify(
    core: Core,
    request: OnboardingRequest,
    *,
    requester: str,
    checks: Sequence[IdentityCheck],
) -> tuple[Contractor, list[CheckResult]]:
    """Store the request (``onboarding.request_onboarding``: nothing is stored when it
    raises), then ``verify_and_ask``. A door that must answer before the checks run (a
    form, which is acked first) makes the two calls itself."""
    contractor = onboarding.request_onboarding(core, request, requester=requester)
    return verify_and_ask(core, contractor.id, checks=checks)
