"""``SqlErasure``: erasing personal data once the retention period ended (see
``bot.core.retention``); the statements are functions over a connection, run by the store in
one transaction with the audit events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.core.models import AuditEntry
from bot.core.states import State
from bot.storage.tables import (
    check_results,
    contractors,
    identity_verifications,
    links,
    processed_events,
)
from bot.storage.transactions import SqlTransactions


def erasable(finished_before: datetime) -> sa.ColumnElement[bool]:
    """Finished (revoked or rejected) before ``finished_before`` and not erased yet."""
    return sa.and_(
        contractors.c.state.in_([State.REVOKED.value, State.REJECTED.value]),
        contractors.c.updated_at < finished_before,
        contractors.c.erased_at.is_(None),
    )


def due(connection: Connection, finished_before: datetime) -> list[str]:
    """IDs of the records to erase, oldest first."""
    query = (
        sa.select(contractors.c.id)
        .where(erasable(finished_before))
        .order_by(contractors.c.updated_at, contractors.c.id)
    )
    return list(connection.execute(query).scalars())


def erase(
    connection: Connection,
    contractor_ids: Sequence[str],
    *,
    finished_before: datetime,
    at: datetime,
) -> set[str]:
    """Blank email, name and justification (the UPDATE re-checks the condition, so a record
    that changed meanwhile keeps its data); delete their check results, links and handled
    departure events; drop verification references and reasons. Return the IDs erased."""
    erased = connection.execute(
        sa.update(contractors)
        .where(contractors.c.id.in_(contractor_ids), erasable(finished_before))
        .values(email="", display_name="", justification="", erased_at=at)
        .returning(contractors.c.id, contractors.c.slack_user_id)
    ).all()
    ids = [row.id for row in erased]
    if not ids:
        return set()
    connection.execute(sa.delete(check_results).where(check_results.c.contractor_id.in_(ids)))
    connection.execute(sa.delete(links).where(links.c.contractor_id.in_(ids)))
    connection.execute(
        sa.update(identity_verifications)
        .where(identity_verifications.c.contractor_id.in_(ids))
        .values(external_reference=None, reason="")
    )
    connection.execute(
        sa.delete(processed_events).where(
            processed_events.c.slack_user_id.in_([row.slack_user_id for row in erased]),
            processed_events.c.done_at.is_not(None),
            processed_events.c.done_at < finished_before,
        )
    )
    return set(ids)


class SqlErasure(SqlTransactions):
    """``bot.core.stores.Erasure`` on SQLite or PostgreSQL."""

    def erasable(self, *, finished_before: datetime) -> list[str]:
        """IDs of revoked or rejected records last changed before ``finished_before`` whose
        personal data is not erased yet, oldest first."""
        with self._reader() as connection:
            return due(connection, finished_before)

    def erase_personal_data(
        self, contractor_ids: list[str], *, finished_before: datetime, events: list[AuditEntry]
    ) -> None:
        """Erase those records' personal data (``bot.storage.erasure.erase``) and append the
        events of the records actually erased, in one transaction."""

        def work(connection: Connection) -> None:
            at = events[0].at
            erased = erase(connection, contractor_ids, finished_before=finished_before, at=at)
            for event in events:
                if event.contractor_id in erased:
                    self._append(connection, event)

        self._write(work)
