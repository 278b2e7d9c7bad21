"""Email domain: the contractor's email (from Slack) belongs to a contracting agency."""

from __future__ import annotations

from typing import ClassVar, Self

from bot.checks._base import CheckConfigError, CheckEnvironment, result
from bot.core.models import CheckResult, Contractor


class EmailDomain:
    """Exact domains only: ``agency.example`` does not admit ``mail.agency.example``, which may
    belong to someone else."""

    name: ClassVar[str] = "email_domain"
    proves_identity: ClassVar[bool] = False

    def __init__(self, domains: tuple[str, ...]) -> None:
        self._domains = domains

    @classmethod
    def from_environment(cls, env: CheckEnvironment) -> Self:
        if not env.settings.allowed_email_domains:
            raise CheckConfigError(
                "CREDBOT_ALLOWED_EMAIL_DOMAINS is empty, so the email_domain check would refuse "
                "everyone: list the agencies' domains or remove email_domain from "
                "CREDBOT_IDENTITY_CHECKS"
            )
        return cls(env.settings.allowed_email_domains)

    def run(self, contractor: Contractor) -> CheckResult:
        domain = contractor.email.rpartition("@")[2].lower()
        if domain in self._domains:
            return result(self.name, "pass", f"{domain} is an agency's domain", domain=domain)
        return result(
            self.name,
            "fail",
            f"{domain} is not in CREDBOT_ALLOWED_EMAIL_DOMAINS ({', '.join(self._domains)})",
            domain=domain,
        )


CHECK = EmailDomain
