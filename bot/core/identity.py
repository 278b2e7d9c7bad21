"""Identity checks and KYC verifications: the gate before any credential exists.

A check is a small object with a ``name`` and ``run(contractor) -> CheckResult``; the checks
credbot ships live in ``bot.checks``, one file each. KYC has two providers, both recorded as an
``IdentityVerification``: an approver's attestation in Slack, and an external service's signed
result (``POST /kyc/webhook``). Either way credbot keeps who, when, how and a reference only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from typing import Protocol

from bot.core.context import Core
from bot.core.errors import InvalidRequest, NotAllowed, VerificationNotFound
from bot.core.models import CheckResult, Contractor, IdentityVerification
from bot.core.states import State

DOCUMENT_TYPES: dict[str, str] = {
    "passport": "Passport",
    "national_id": "National identity card",
    "residence_permit": "Residence permit",
    "driving_licence": "Driving licence",
}
"""Official photo IDs an attester or a service may name (value -> label)."""

NOTE = re.compile(r"^[A-Za-z0-9._:/#-]{1,64}$")
"""An attester's optional reference or a service's verification ID: a ticket-like token, short
enough that it cannot carry a scanned document and plain enough to be safe in Slack and logs."""


class IdentityCheck(Protocol):
    """One identity check run before a request can reach an approver."""

    @property
    def name(self) -> str:
        """The check's name in settings, results and the audit trail."""
        ...

    def run(self, contractor: Contractor) -> CheckResult:
        """Judge the contractor. A failed check returns ``fail``; a check that cannot decide
        now (a service is down, someone must act) returns ``pending``. Never ``pass`` by default."""
        ...


@dataclass(frozen=True)
class ServiceResult:
    """What a verification service reports about one reference (``POST /kyc/webhook``)."""

    reference: str
    verified: bool
    service: str
    document_type: str | None = None
    service_reference: str | None = None
    reason: str = ""


def new_reference() -> str:
    """A verification reference: ``kyc_`` and 128 random bits (unguessable, so a webhook
    cannot be aimed at a request by counting)."""
    return "kyc_" + secrets.token_hex(16)


def attest_identity(
    core: Core, contractor_id: str, *, attester: str, document_type: str, note: str = ""
) -> IdentityVerification:
    """Record that ``attester`` checked an official photo ID of the contractor.

    Four eyes: the requester and the contractor may not attest. Raises ``NotAllowed`` for them
    or when the request no longer waits for checks, ``InvalidRequest`` for an unknown document
    type or a note that is not a short reference. Nothing is stored then.
    """
    contractor = core.store.get_contractor(contractor_id)
    if attester == contractor.requested_by:
        raise NotAllowed("the person who asked cannot attest the contractor's identity")
    if attester == contractor.slack_user_id:
        raise NotAllowed("contractors cannot attest their own identity")
    if contractor.state is not State.VERIFYING:
        state = contractor.state.value
        raise NotAllowed(f"the request is {state}, not waiting for identity checks")
    if document_type not in DOCUMENT_TYPES:
        raise InvalidRequest(field="document_type", problem=f"unknown document {document_type!r}")
    note = note.strip()
    if note and not NOTE.match(note):
        raise InvalidRequest(
            field="note",
            problem="use a short ticket or call reference (letters, digits, . _ : / # -), "
            "never the document number",
        )
    now = core.clock.now()
    verification = IdentityVerification(
        reference=new_reference(),
        contractor_id=contractor.id,
        method="attestation",
        status="passed",
        created_at=now,
        document_type=document_type,
        verified_by=attester,
        external_reference=note or None,
        decided_at=now,
    )
    event = core.entry(
        actor=attester,
        action="identity_attested",
        contractor=contractor,
        details={"reference": verification.reference, "document_type": document_type},
    )
    core.store.add_verification(verification, event=event)
    return verification


def webhook_verification(core: Core, contractor: Contractor) -> IdentityVerification:
    """The request's verification by the external service, started (a new reference, audited)
    on first use. The service is told the reference out of band; its result names it."""
    for existing in core.store.verifications(contractor.id):
        if existing.method == "webhook":
            return existing
    verification = IdentityVerification(
        reference=new_reference(),
        contractor_id=contractor.id,
        method="webhook",
        status="pending",
        created_at=core.clock.now(),
    )
    event = core.entry(
        actor="credbot",
        action="identity_verification_started",
        contractor=contractor,
        details={"reference": verification.reference},
    )
    core.store.add_verification(verification, event=event)
    return verification


def record_service_result(core: Core, outcome: ServiceResult, *, delivery: str) -> Contractor:
    """Store a verification service's result on a pending webhook verification.

    ``delivery`` is the signed delivery's fingerprint, kept so the same delivery is never
    applied twice. Raises ``VerificationNotFound``, ``VerificationDecided`` (the verification
    or the request was already decided) or ``DeliveryReplayed``; nothing changes then.
    Returns the contractor, whose checks the caller runs again.
    """
    current = core.store.find_verification(outcome.reference)
    if current is None or current.method != "webhook":
        raise VerificationNotFound(outcome.reference)
    contractor = core.store.get_contractor(current.contractor_id)
    decided = replace(
        current,
        status="passed" if outcome.verified else "failed",
        document_type=outcome.document_type,
        verified_by=outcome.service,
        external_reference=outcome.service_reference,
        reason=outcome.reason,
        decided_at=core.clock.now(),
    )
    event = core.entry(
        actor=outcome.service,
        action=f"identity_verification_{decided.status}",
        contractor=contractor,
        reason=outcome.reason,
        details={"reference": current.reference, "document_type": outcome.document_type or ""},
    )
    core.store.decide_verification(decided, delivery=delivery, event=event)
    return contractor
