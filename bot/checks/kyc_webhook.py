"""KYC by an external identity-verification service that reports to ``POST /kyc/webhook``.

The first run creates a verification reference (audited); the service is started with it out
of band and sends its signed result naming it (``bot.web.kyc_webhook``). The result is kept as
who (the service), when, the document type and the service's own ID; nothing else.
"""

from __future__ import annotations

from typing import ClassVar, Self

from bot.checks._base import CheckConfigError, CheckEnvironment, result
from bot.core.context import Core
from bot.core.identity import DOCUMENT_TYPES, webhook_verification
from bot.core.models import CheckResult, Contractor


class KycWebhook:
    """``pending`` until the service's result arrives, then ``pass`` or ``fail`` with its
    reason."""

    name: ClassVar[str] = "kyc_webhook"
    proves_identity: ClassVar[bool] = True

    def __init__(self, core: Core) -> None:
        self._core = core

    @classmethod
    def from_environment(cls, env: CheckEnvironment) -> Self:
        if not env.settings.kyc_webhook_secret:
            raise CheckConfigError(
                "CREDBOT_KYC_WEBHOOK_SECRET is not set, so no verification result could ever "
                "be accepted: set the secret shared with the service or use kyc_attestation"
            )
        return cls(env.core)

    def run(self, contractor: Contractor) -> CheckResult:
        verification = webhook_verification(self._core, contractor)
        reference = verification.reference
        service = verification.verified_by or "the verification service"
        if verification.status == "pending":
            return result(
                self.name,
                "pending",
                f"waiting for the identity verification service (reference {reference})",
                reference=reference,
            )
        if verification.status == "failed":
            return result(
                self.name,
                "fail",
                f"{service} could not verify the identity: {verification.reason or 'no reason'}",
                reference=reference,
                service=service,
            )
        document = DOCUMENT_TYPES.get(verification.document_type or "", "an ID")
        return result(
            self.name,
            "pass",
            f"{document} verified by {service}",
            reference=reference,
            service=service,
            document_type=verification.document_type or "",
            service_reference=verification.external_reference or "",
        )


CHECK = KycWebhook
