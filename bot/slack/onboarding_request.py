"""What the inline command and the modal share before a request reaches the core: who the
person is (from Slack, never from what the manager typed) and which role they get."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from bot.core.errors import InvalidRequest
from bot.core.requests import OnboardingRequest
from bot.slack.deps import Deps
from bot.slack.directory import look_up


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
