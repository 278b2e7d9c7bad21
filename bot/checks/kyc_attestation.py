"""KYC by attestation: an approver confirms in Slack that they checked an official photo ID.

The approver is never the requester or the contractor (``bot.core.identity.attest_identity``
refuses them) and must still be an approver when the check runs. credbot keeps who, when,
which document type and an optional ticket reference: never a document number or an image.
"""

from __future__ import annotations

from typing import ClassVar, Self

from bot.checks._base import CheckEnvironment, group_not_listed, result
from bot.core.identity import DOCUMENT_TYPES
from bot.core.models import CheckResult, Contractor
from bot.core.roles import Role, RoleDirectory, RoleLookupFailed
from bot.core.stores import IdentityRecords

WAITING = "waiting for an approver to confirm they checked an official photo ID"


class KycAttestation:
    """``pass`` once an approver attested; ``pending`` until then."""

    name: ClassVar[str] = "kyc_attestation"
    proves_identity: ClassVar[bool] = True

    def __init__(self, store: IdentityRecords, roles: RoleDirectory) -> None:
        self._store = store
        self._roles = roles

    @classmethod
    def from_environment(cls, env: CheckEnvironment) -> Self:
        return cls(env.core.store, env.roles)

    def run(self, contractor: Contractor) -> CheckResult:
        for verification in self._store.verifications(contractor.id):
            if verification.method != "attestation" or verification.status != "passed":
                continue
            attester = verification.verified_by or ""
            try:
                still_approver = self._roles.has(attester, Role.APPROVER)
            except RoleLookupFailed as exc:
                return group_not_listed(self.name, exc)
            if not still_approver:
                continue
            document = DOCUMENT_TYPES.get(verification.document_type or "", "an ID")
            when = f"{verification.decided_at or verification.created_at:%Y-%m-%d %H:%M} UTC"
            return result(
                self.name,
                "pass",
                f"{document} checked by <@{attester}> on {when}",
                attested_by=attester,
                document_type=verification.document_type or "",
                reference=verification.reference,
            )
        return result(self.name, "pending", WAITING)


CHECK = KycAttestation
