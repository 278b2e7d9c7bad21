"""Validation of an onboarding request: each bad field is named, good input is normalised."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.core.errors import InvalidRequest
from bot.core.requests import OnboardingRequest, validate_request

TODAY = date(2026, 11, 26)
GOOD = OnboardingRequest(
    slack_user_id="U0CONTRACT",
    email=" Ana@Agency.example ",
    display_name="Ana",
    country="de",
    end_date=date(2027, 3, 31),
    role="reviewer",
    justification="  Q1 review batch ",
)


def validate(request: OnboardingRequest) -> OnboardingRequest:
    return validate_request(request, today=TODAY, roles={"reviewer"})


def test_good_request_is_normalised() -> None:
    valid = validate(GOOD)
    assert (valid.country, valid.email, valid.justification) == (
        "DE",
        "ana@agency.example",
        "Q1 review batch",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slack_user_id": "not-a-user"}, "contractor"),
        ({"slack_user_id": "<@U123>"}, "contractor"),
        ({"email": "no-at-sign"}, "email"),
        ({"country": "XX"}, "country"),
        ({"country": "Germany"}, "country"),
        ({"end_date": TODAY}, "end"),
        ({"end_date": date(2020, 1, 1)}, "end"),
        ({"end_date": date(2031, 1, 1)}, "end"),
        ({"role": "admin"}, "role"),
        ({"justification": "x" * 501}, "justification"),
    ],
)
def test_bad_field_is_named(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        validate(replace(GOOD, **change))  # type: ignore[arg-type]
    assert raised.value.field == field
