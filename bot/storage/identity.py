"""``SqlIdentityRecords``: identity check results and KYC verifications.

The statements are functions over a connection; the store runs each in its read or write
transaction and appends the audit events.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.core.errors import DeliveryReplayed, VerificationDecided
from bot.core.models import AuditEntry, CheckResult, Contractor, IdentityVerification
from bot.core.states import State
from bot.storage.audit_log import violated_constraint
from bot.storage.mapping import to_check_result, to_contractor, to_verification, verification_values
from bot.storage.tables import (
    LIVE_STATE_VALUES,
    check_results,
    contractors,
    identity_verifications,
    processed_events,
)
from bot.storage.transactions import SqlTransactions


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


class SqlIdentityRecords(SqlTransactions):
    """``bot.core.stores.IdentityRecords`` on SQLite or PostgreSQL."""

    def check_results(self, contractor_id: str) -> list[CheckResult]:
        """The identity checks last run on the contractor, in the order they ran."""
        with self._reader() as connection:
            return results_of(connection, contractor_id)

    def live_duplicates(self, contractor: Contractor) -> list[Contractor]:
        """Other live contractors with the same Slack user or email (one person, one
        credential)."""
        with self._reader() as connection:
            return live_duplicates(connection, contractor)

    def add_verification(self, verification: IdentityVerification, *, event: AuditEntry) -> None:
        """Insert ``verification`` and append ``event`` in one transaction."""

        def work(connection: Connection) -> None:
            connection.execute(
                sa.insert(identity_verifications).values(verification_values(verification))
            )
            self._append(connection, event)

        self._write(work)

    def verifications(self, contractor_id: str) -> list[IdentityVerification]:
        """The contractor's identity verifications, newest first."""
        with self._reader() as connection:
            return verifications_of(connection, contractor_id)

    def find_verification(self, reference: str) -> IdentityVerification | None:
        """The verification with this reference, if any."""
        with self._reader() as connection:
            return find(connection, reference)

    def decide_verification(
        self, decided: IdentityVerification, *, delivery: str, event: AuditEntry
    ) -> None:
        """Record a service's result on a pending verification, with the delivery that
        carried it and ``event``, in one transaction.

        Raises ``DeliveryReplayed`` when ``delivery`` was recorded before (its primary key
        decides, so two concurrent copies apply once), then ``VerificationDecided`` when the
        request is no longer ``verifying`` or the verification no longer pending; nothing
        changes then.
        """

        def work(connection: Connection) -> None:
            decide(connection, decided, delivery=delivery)
            self._append(connection, event)

        try:
            self._write(work)
        except IntegrityError as error:
            if "processed_events" not in violated_constraint(error):
                raise
            raise DeliveryReplayed(f"delivery {delivery[:12]} was received before") from None
