"""``SqlContractors``: contractor records and their conditional state changes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.core.changes import Change
from bot.core.errors import ChangeRefused, ContractorNotFound, DuplicateContractor, StaleState
from bot.core.models import AuditEntry, Contractor, RevocationTargets
from bot.core.states import State
from bot.storage.accounts import read_revocation_targets
from bot.storage.audit_log import append_events, violated_constraint
from bot.storage.changes import apply_changes
from bot.storage.mapping import contractor_values, to_contractor
from bot.storage.tables import LIVE_STATE_VALUES, contractors
from bot.storage.transactions import SqlTransactions


class SqlContractors(SqlTransactions):
    """``bot.core.stores.ContractorRecords`` on SQLite or PostgreSQL."""

    def add_contractor(self, contractor: Contractor, *, event: AuditEntry) -> Contractor:
        """Insert ``contractor`` and append ``event``; return the stored contractor.

        Raise ``DuplicateContractor`` if a live contractor has the same Slack user id or email.
        The check runs in the inserting transaction for a precise error; the partial unique
        indexes on live rows make the insert itself fail when a concurrent request slipped in
        between (PostgreSQL READ COMMITTED), which is then reported the same way.
        """

        def work(connection: Connection) -> Contractor:
            _raise_if_duplicate(connection, contractor)
            connection.execute(sa.insert(contractors).values(contractor_values(contractor)))
            self._append(connection, event)
            return _load_contractor(connection, contractor.id)

        try:
            return self._write(work)
        except IntegrityError as error:
            if not _is_live_index_hit(error):
                raise
            with self._reader() as connection:
                _raise_if_duplicate(connection, contractor)
            raise

    def get_contractor(self, contractor_id: str) -> Contractor:
        """Return the contractor or raise ``ContractorNotFound``."""
        row = self._read_row(_BY_ID, {"id": contractor_id})
        if row is None:
            raise ContractorNotFound(contractor_id)
        return to_contractor(row)

    def find_live_by_slack_user(self, slack_user_id: str) -> Contractor | None:
        """Return the contractor in a live state for this Slack user, if any."""
        with self._reader() as connection:
            row = connection.execute(
                sa.select(contractors).where(
                    contractors.c.slack_user_id == slack_user_id,
                    contractors.c.state.in_(LIVE_STATE_VALUES),
                )
            ).first()
        return None if row is None else to_contractor(row)

    def list_contractors(
        self,
        *,
        states: Collection[State] | None = None,
        requested_by: str | None = None,
        slack_user_ids: Collection[str] | None = None,
    ) -> list[Contractor]:
        """Contractors ordered by creation time (then id), optionally filtered."""
        query = sa.select(contractors).order_by(contractors.c.created_at, contractors.c.id)
        if slack_user_ids is not None:
            query = query.where(contractors.c.slack_user_id.in_(list(slack_user_ids)))
        if states is not None:
            query = query.where(contractors.c.state.in_([state.value for state in states]))
        if requested_by is not None:
            query = query.where(contractors.c.requested_by == requested_by)
        with self._reader() as connection:
            return [to_contractor(row) for row in connection.execute(query)]

    def count_by_state(self) -> dict[State, int]:
        """One ``GROUP BY state`` query: how many contractors are in each state."""
        query = sa.select(contractors.c.state, sa.func.count()).group_by(contractors.c.state)
        with self._reader() as connection:
            return {State(state): int(count) for state, count in connection.execute(query)}

    def apply(self, change: Change, *, at: datetime) -> Contractor:
        """Apply ``change`` if the contractor is still in the state it expects; append its
        event.

        One conditional ``UPDATE ... WHERE id = :id AND state = :expected`` that also bumps
        ``version`` and sets ``updated_at`` to ``at`` (the core's clock, not the database's).
        Raise ``StaleState`` when no row matched but the contractor exists,
        ``ContractorNotFound`` when it does not; either way nothing changes.
        """
        (outcome,) = self.apply_many([change], at=at)
        if isinstance(outcome, Contractor):
            return outcome
        raise outcome

    def apply_many(
        self, changes: Sequence[Change], *, at: datetime
    ) -> list[Contractor | ChangeRefused]:
        """``apply`` for several contractors in one transaction; one outcome per change, in
        order: the new row, or the ``StaleState``/``ContractorNotFound`` that change met (it
        then changed nothing, and the others still apply); the events of the applied changes
        are appended in order (``_append_applied``)."""

        def work(connection: Connection) -> list[Contractor | ChangeRefused]:
            outcomes = apply_changes(connection, changes, at=at)
            self._append_applied(connection, changes, outcomes, at=at)
            return outcomes

        return self._write(work) if changes else []

    def start_revocations(
        self, changes: Sequence[Change], *, at: datetime
    ) -> tuple[list[Contractor | ChangeRefused], dict[str, RevocationTargets]]:
        """``apply_many``, and ``read_revocation_targets`` of the contractors it moved, in one
        write transaction. The targets are read after the moves and before the audit append,
        so the audit lock is not held over the reads; on PostgreSQL one transaction instead
        of two saves a ``BEGIN`` and a ``ROLLBACK`` (and a checkout)."""

        def work(
            connection: Connection,
        ) -> tuple[list[Contractor | ChangeRefused], dict[str, RevocationTargets]]:
            outcomes = apply_changes(connection, changes, at=at)
            moved = [outcome.id for outcome in outcomes if isinstance(outcome, Contractor)]
            targets = read_revocation_targets(connection, moved) if moved else {}
            self._append_applied(connection, changes, outcomes, at=at)
            return outcomes, targets

        return self._write(work) if changes else ([], {})

    def _append_applied(
        self,
        connection: Connection,
        changes: Sequence[Change],
        outcomes: Sequence[Contractor | ChangeRefused],
        *,
        at: datetime,
    ) -> None:
        """Append the events of the changes applied (``outcomes`` of ``apply_changes``), in
        order, with one append (see ``append_events``), so a batch holds the audit lock as
        briefly as one change does."""
        applied = [
            change.event(at)
            for change, outcome in zip(changes, outcomes, strict=True)
            if isinstance(outcome, Contractor)
        ]
        append_events(connection, applied, serialize=self._serialize_audit)

    def count_failed_proof(self, contractor_id: str, *, event: AuditEntry) -> int:
        """Count one failed enrolment login of an ``issued`` contractor (one conditional
        ``UPDATE ... SET failed_totp_attempts = failed_totp_attempts + 1``, so concurrent
        failures never lose a count) and append ``event``, in one transaction; return the new
        count. Raise ``StaleState`` when the contractor is no longer ``issued``."""

        def work(connection: Connection) -> int:
            count = connection.execute(
                sa.update(contractors)
                .where(contractors.c.id == contractor_id, contractors.c.state == State.ISSUED.value)
                .values(
                    failed_totp_attempts=contractors.c.failed_totp_attempts + 1,
                    version=contractors.c.version + 1,
                    updated_at=event.at,
                )
                .returning(contractors.c.failed_totp_attempts)
            ).scalar()
            if count is None:
                raise StaleState(contractor_id=contractor_id, expected=State.ISSUED.value)
            self._append(connection, event)
            return int(count)

        return self._write(work)


_BY_ID = sa.select(contractors).where(contractors.c.id == sa.bindparam("id"))
"""Built once: every offboard, approval and reveal reads a contractor by id."""


def _load_contractor(connection: Connection, contractor_id: str) -> Contractor:
    row = connection.execute(_BY_ID, {"id": contractor_id}).first()
    if row is None:
        raise ContractorNotFound(contractor_id)
    return to_contractor(row)


def _raise_if_duplicate(connection: Connection, contractor: Contractor) -> None:
    """Raise ``DuplicateContractor`` naming the live row with this Slack user id or email."""
    rows = connection.execute(
        sa.select(contractors.c.id, contractors.c.slack_user_id)
        .where(
            contractors.c.state.in_(LIVE_STATE_VALUES),
            sa.or_(
                contractors.c.slack_user_id == contractor.slack_user_id,
                contractors.c.email == contractor.email,
            ),
        )
        .order_by(contractors.c.created_at)
    ).all()
    for row in rows:
        if row.slack_user_id == contractor.slack_user_id:
            raise DuplicateContractor(existing_id=row.id, field="slack_user_id")
    if rows:
        raise DuplicateContractor(existing_id=rows[0].id, field="email")


def _is_live_index_hit(error: IntegrityError) -> bool:
    """Whether ``error`` is a hit on a live-uniqueness index.

    PostgreSQL names the index; SQLite names the columns (only those indexes are unique on them).
    """
    violated = violated_constraint(error)
    return any(
        marker in violated
        for marker in ("uq_contractors_live_", "contractors.slack_user_id", "contractors.email")
    )
