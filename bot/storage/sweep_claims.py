"""``SqlSweepClaims``: what the sweep must act on, and which sweep worker holds whom."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from bot.core.models import Contractor
from bot.core.states import CONTRACT_END_STATES, State
from bot.storage.mapping import to_contractor
from bot.storage.tables import contractors, links
from bot.storage.transactions import SqlTransactions


class SqlSweepClaims(SqlTransactions):
    """``bot.core.stores.SweepClaims`` on SQLite or PostgreSQL."""

    def due_for_sweep(self, *, now: datetime, today: date) -> list[Contractor]:
        """Revoking contractors, issued ones whose current link expired unused, and ended
        contracts that may still hold or get access; never those claimed by a live sweep."""
        expired_link = (
            sa.select(links.c.link_hash)
            .where(
                links.c.contractor_id == contractors.c.id,
                links.c.username == contractors.c.username,
                links.c.claimed_at.is_(None),
                links.c.invalidated_at.is_(None),
                links.c.expires_at <= now,
            )
            .exists()
        )
        due = sa.or_(
            contractors.c.state == State.REVOKING.value,
            sa.and_(contractors.c.state == State.ISSUED.value, expired_link),
            sa.and_(
                contractors.c.end_date < today,
                contractors.c.state.in_([s.value for s in CONTRACT_END_STATES]),
            ),
        )
        unclaimed = sa.or_(
            contractors.c.sweep_claimed_until.is_(None), contractors.c.sweep_claimed_until <= now
        )
        query = (
            sa.select(contractors)
            .where(due, unclaimed)
            .order_by(contractors.c.created_at, contractors.c.id)
        )
        with self._reader() as connection:
            return [to_contractor(row) for row in connection.execute(query)]

    def claim_for_sweep(
        self, contractor_id: str, *, worker: str, now: datetime, lease: timedelta
    ) -> Contractor | None:
        """Claim one contractor (see ``claim_many_for_sweep``); ``None`` when we lost."""
        claimed = self.claim_many_for_sweep([contractor_id], worker=worker, now=now, lease=lease)
        return claimed[0] if claimed else None

    def claim_many_for_sweep(
        self, contractor_ids: Collection[str], *, worker: str, now: datetime, lease: timedelta
    ) -> list[Contractor]:
        """One conditional UPDATE ... RETURNING over the ids: each row is claimed on its own
        when its claim is free or lapsed; return the contractors we won, in no set order."""
        with self._engine.begin() as connection:
            rows = connection.execute(
                sa.update(contractors)
                .where(
                    contractors.c.id.in_(list(contractor_ids)),
                    sa.or_(
                        contractors.c.sweep_claimed_until.is_(None),
                        contractors.c.sweep_claimed_until <= now,
                    ),
                )
                .values(sweep_claimed_by=worker, sweep_claimed_until=now + lease)
                .returning(*contractors.c)
            )
            return [to_contractor(row) for row in rows]

    def release_sweep_claim(self, contractor_id: str, *, worker: str) -> None:
        """Clear the claim if it is still this worker's."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(contractors)
                .where(contractors.c.id == contractor_id, contractors.c.sweep_claimed_by == worker)
                .values(sweep_claimed_by=None, sweep_claimed_until=None)
            )
