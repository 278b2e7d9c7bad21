"""``SqlDepartureInbox``: Slack departure events, recorded once and marked done once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.core.models import DepartureEvent
from bot.storage.tables import processed_events
from bot.storage.transactions import SqlTransactions


class SqlDepartureInbox(SqlTransactions):
    """``bot.core.stores.DepartureInbox`` on SQLite or PostgreSQL."""

    def record_event(self, event: DepartureEvent) -> bool:
        """Insert unless the ``event_id`` exists (the primary key decides, so concurrent
        deliveries of one event record it once)."""
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.insert(processed_events).values(
                        event_id=event.event_id,
                        kind=event.kind,
                        slack_user_id=event.slack_user_id,
                        received_at=event.received_at,
                    )
                )
        except IntegrityError:
            return False
        return True

    def pending_events(self) -> list[DepartureEvent]:
        """Events with no ``done_at``, oldest first."""
        query = (
            sa.select(processed_events)
            .where(processed_events.c.done_at.is_(None))
            .order_by(processed_events.c.received_at, processed_events.c.event_id)
        )
        with self._reader() as connection:
            return [
                DepartureEvent(
                    event_id=row.event_id,
                    kind=row.kind,
                    slack_user_id=row.slack_user_id or "",
                    received_at=row.received_at,
                )
                for row in connection.execute(query)
            ]

    def mark_event_done(self, event_id: str, *, at: datetime) -> None:
        """Set ``done_at`` once (idempotent)."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(processed_events)
                .where(
                    processed_events.c.event_id == event_id, processed_events.c.done_at.is_(None)
                )
                .values(done_at=at)
            )
