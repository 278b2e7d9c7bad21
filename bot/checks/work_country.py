"""Work country: the declared country (ISO 3166-1 alpha-2) is one the policy allows."""

from __future__ import annotations

from typing import ClassVar, Self

import pycountry

from bot.checks._base import CheckConfigError, CheckEnvironment, result
from bot.core.models import CheckResult, Contractor


class WorkCountry:
    """Sensitive recordings may only be reviewed from where the contracts and the law allow;
    the reason names the country and the policy so a manager knows what to fix."""

    name: ClassVar[str] = "work_country"
    proves_identity: ClassVar[bool] = False

    def __init__(self, countries: tuple[str, ...]) -> None:
        self._countries = countries

    @classmethod
    def from_environment(cls, env: CheckEnvironment) -> Self:
        if not env.settings.allowed_countries:
            raise CheckConfigError(
                "CREDBOT_ALLOWED_COUNTRIES is empty, so the work_country check would refuse "
                "everyone: list the allowed ISO 3166 codes or remove work_country from "
                "CREDBOT_IDENTITY_CHECKS"
            )
        return cls(env.settings.allowed_countries)

    def run(self, contractor: Contractor) -> CheckResult:
        code = contractor.country
        known = pycountry.countries.get(alpha_2=code)
        named = f"{code} ({known.name})" if known else code
        if code in self._countries:
            return result(self.name, "pass", f"{named} is allowed", country=code)
        return result(
            self.name,
            "fail",
            f"{named} is not in CREDBOT_ALLOWED_COUNTRIES ({', '.join(self._countries)})",
            country=code,
        )


CHECK = WorkCountry
