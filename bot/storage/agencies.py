"""``SqlAgencies``: agency cut-offs (``bot.core.agencies.AgencyCutoffs``) on SQLite or
PostgreSQL, on the same engine and audit chain as ``SqlStore``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from bot.core.agencies import (
    OPEN_STATUSES,
    AgencyCutoff,
    CutoffDecided,
    CutoffNotFound,
    CutoffOpen,
    CutoffStatus,
    email_domain,
)
from bot.core.models import AuditEntry, Contractor
from bot.storage.audit_log import violated_constraint
from bot.storage.mapping import to_contractor
from bot.storage.tables import agency_cutoffs, contractors
from bot.storage.transactions import SqlTransactions


class SqlAgencies(SqlTransactions):
    """Cut-offs in ``agency_cutoffs``; each change appends its audit event in the cut-off's
    own transaction (the same chain, the same retry on a ``seq`` collision as every store)."""

    def at_domain(self, domain: str) -> list[Contractor]:
        """``lower(email) LIKE '%@<domain>'`` narrows in the database (the domain was parsed:
        letters, digits, dots and hyphens only, so it holds no wildcard), then the exact
        comparison of ``email_domain`` decides."""
        query = (
            sa.select(contractors)
            .where(sa.func.lower(contractors.c.email).like(f"%@{domain}"))
            .order_by(contractors.c.created_at, contractors.c.id)
        )
        with self._reader() as connection:
            rows = connection.execute(query).all()
        found = (to_contractor(row) for row in rows)
        return [c for c in found if email_domain(c.email) == domain]

    def add_cutoff(self, cutoff: AgencyCutoff, *, event: AuditEntry) -> AgencyCutoff:
        """Insert the row and append ``event``; the partial unique index refuses a second open
        cut-off of the domain, even one inserted concurrently (``CutoffOpen``)."""

        def work(connection: Connection) -> AgencyCutoff:
            connection.execute(sa.insert(agency_cutoffs).values(asdict(cutoff)))
            self._append(connection, event)
            return cutoff

        try:
            return self._write(work)
        except IntegrityError as error:
            if "agency_cutoffs" not in violated_constraint(error):
                raise
            existing = self.open_cutoff(cutoff.domain)
            if existing is None:  # closed again in between: the caller may simply retry
                raise
            raise CutoffOpen(existing) from None

    def get_cutoff(self, cutoff_id: str) -> AgencyCutoff:
        """The row, or ``CutoffNotFound``."""
        found = self._one(agency_cutoffs.c.id == cutoff_id)
        if found is None:
            raise CutoffNotFound(cutoff_id)
        return found

    def open_cutoff(self, domain: str) -> AgencyCutoff | None:
        """The domain's pending or blocking row (the unique index allows one)."""
        return self._one(
            agency_cutoffs.c.domain == domain,
            agency_cutoffs.c.status.in_(OPEN_STATUSES),
        )

    def cutoffs(self, *, open_only: bool) -> list[AgencyCutoff]:
        """All rows, or the open ones, newest request first."""
        query = sa.select(agency_cutoffs).order_by(
            agency_cutoffs.c.requested_at.desc(), agency_cutoffs.c.id
        )
        if open_only:
            query = query.where(agency_cutoffs.c.status.in_(OPEN_STATUSES))
        with self._reader() as connection:
            return [_to_cutoff(row) for row in connection.execute(query)]

    def decide_cutoff(
        self,
        cutoff_id: str,
        *,
        expected: CutoffStatus,
        status: CutoffStatus,
        actor: str,
        at: datetime,
        event: AuditEntry,
    ) -> AgencyCutoff:
        """``UPDATE ... WHERE status = expected``; no row: ``CutoffDecided`` (or
        ``CutoffNotFound``), and the event is not appended."""
        who = (
            {"lifted_by": actor, "lifted_at": at}
            if status == "lifted"
            else {"decided_by": actor, "decided_at": at}
        )

        def work(connection: Connection) -> bool:
            updated = connection.execute(
                sa.update(agency_cutoffs)
                .where(agency_cutoffs.c.id == cutoff_id, agency_cutoffs.c.status == expected)
                .values(status=status, **who)
            )
            if updated.rowcount != 1:
                return False
            self._append(connection, event)
            return True

        changed = self._write(work)
        current = self.get_cutoff(cutoff_id)
        if not changed:
            raise CutoffDecided(current)
        return current

    def _one(self, *conditions: sa.ColumnElement[bool]) -> AgencyCutoff | None:
        with self._reader() as connection:
            row = connection.execute(sa.select(agency_cutoffs).where(*conditions)).first()
        return None if row is None else _to_cutoff(row)


def _to_cutoff(row: Row[Any]) -> AgencyCutoff:
    return AgencyCutoff(**row._mapping)
