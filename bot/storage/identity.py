"""Statements for identity checks and KYC verifications, run in a ``SqlStore`` transaction.

Kept apart from ``bot.storage.repository`` so each file holds one concern; the store wraps
each in its read or write transaction and appends the audit events.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.core.errors import VerificationDecided
from bot.core.models import CheckResult, Contractor, IdentityVerification
from bot.core.states import State
from bot.storage.mapping import to_check_result, to_contractor, to_verification
from bot.storage.tables import (
    LIVE_STATE_VALUES,
    check_results,
    contractors,
    identity_verifications,
    processed_events,
)


def results_of(connection: Connection, contractor_id: str) -> list[CheckResult]:
    """The identity checks last run on the contractor, in the order they ran."""
    query = (
        sa.select(check_results)
        .where(check_results.c.contractor_id == contractor_id)
        .order_by(check_results.c.id)
    )
    return [to_check_result(row) for row in connection.execute(query)]


def live_duplicates(connection: Connection, contractor: Contractor) -> list[Contractor]:
    """Other live contractors with the same Slack user or email."""
    query = (
        sa.select(contractors)
        .where(
            contractors.c.id != contractor.id,
            contractors.c.state.in_(LIVE_STATE_VALUES),
            sa.or_(
                contractors.c.slack_user_id == contractor.slack_user_id,
                contractors.c.email == contractor.email,
            ),
        )
        .order_by(contractors.c.created_at)
    )
    return [to_contractor(row) for row in connection.execute(query)]


def verifications_of(connection: Connection, contractor_id: str) -> list[IdentityVerification]:
    """The contractor's identity verifications, newest first."""
    query = (
        sa.select(identity_verifications)
        .where(identity_verifications.c.contractor_id == contractor_id)
        .order_by(identity_verifications.c.created_at.desc())
    )
    return [to_verification(row) for row in connection.execute(query)]


def find(connection: Connection, reference: str) -> IdentityVerification | None:
    """The verification with this reference, if any."""
    query = sa.select(identity_verifications).where(identity_verifications.c.reference == reference)
    row = connection.execute(query).first()
    return None if row is None else to_verification(row)


def decide(connection: Connection, decided: IdentityVerification, *, delivery: str) -> None:
    """Record the delivery (its primary key refuses a replay with ``IntegrityError``), then the
    result on the pending verification; ``VerificationDecided`` when the request is no longer
    ``verifying`` or the verification no longer pending. The caller's transaction rolls back
    on either."""
    at = decided.decided_at
    connection.execute(
        sa.insert(processed_events).values(
            event_id=f"kyc:{delivery}", kind="kyc_webhook", received_at=at, done_at=at
        )
    )
    state = connection.execute(
        sa.select(contractors.c.state).where(contractors.c.id == decided.contractor_id)
    ).scalar_one()
    if state != State.VERIFYING.value:
        raise VerificationDecided(reference=decided.reference, state=state)
    updated = connection.execute(
        sa.update(identity_verifications)
        .where(
            identity_verifications.c.reference == decided.reference,
            identity_verifications.c.status == "pending",
        )
        .values(
            status=decided.status,
            document_type=decided.document_type,
            verified_by=decided.verified_by,
            external_reference=decided.external_reference,
            reason=decided.reason,
            decided_at=at,
        )
    )
    if updated.rowcount != 1:
        current = find(connection, decided.reference)
        raise VerificationDecided(
            reference=decided.reference, state=current.status if current else "gone"
        )
