"""An onboarding request as a manager states it, validated before anything is stored.

Every check raises ``InvalidRequest`` naming the field, so a Slack modal can show the error
inline and the inline command can print it; nothing is written for an invalid request.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

import pycountry

from bot.core.errors import InvalidRequest

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
MAX_CONTRACT = timedelta(days=3 * 366)
MAX_JUSTIFICATION = 500


@dataclass(frozen=True)
class OnboardingRequest:
    """What a manager asks for: who, where they work, until when, in which role, and why."""

    slack_user_id: str
    email: str
    display_name: str
    country: str
    end_date: date
    role: str
    justification: str = ""


def validate_request(
    request: OnboardingRequest, *, today: date, roles: Collection[str]
) -> OnboardingRequest:
    """Return the request normalised (country upper-cased, text trimmed) or raise
    ``InvalidRequest`` for the first bad field."""
    if not SLACK_USER_ID.match(request.slack_user_id):
        raise InvalidRequest(field="contractor", problem="is not a Slack user")
    email = request.email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidRequest(field="email", problem="is not an email address")
    country = request.country.strip().upper()
    if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        raise InvalidRequest(
            field="country", problem=f"{request.country!r} is not an ISO 3166 country code"
        )
    if request.end_date <= today:
        raise InvalidRequest(field="end", problem="the contract end date must be in the future")
    if request.end_date > today + MAX_CONTRACT:
        raise InvalidRequest(field="end", problem="contracts longer than three years need review")
    if request.role not in roles:
        known = ", ".join(sorted(roles))
        raise InvalidRequest(
            field="role", problem=f"unknown role {request.role!r} (known: {known})"
        )
    justification = request.justification.strip()
    if len(justification) > MAX_JUSTIFICATION:
        raise InvalidRequest(
            field="justification", problem=f"longer than {MAX_JUSTIFICATION} characters"
        )
    return OnboardingRequest(
        slack_user_id=request.slack_user_id,
        email=email,
        display_name=request.display_name.strip()[:200],
        country=country,
        end_date=request.end_date,
        role=request.role,
        justification=justification,
    )
