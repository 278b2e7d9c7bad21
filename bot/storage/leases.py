"""``SqlLeases``: named leases in the database, so one replica at a time runs a job.

A lease is a row (``leases``) taken with one upsert whose update only applies when the row is
free, lapsed or already ours. This works the same on SQLite and PostgreSQL, survives
connection poolers (a session-level advisory lock does not), and a holder that dies simply
stops extending its lease, which lapses after its TTL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.core.models import Lease
from bot.storage.engine import upsert
from bot.storage.tables import leases


class SqlLeases:
    """``bot.core.interfaces.Leases`` on SQLite or PostgreSQL."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine

    def take_lease(self, name: str, *, holder: str, now: datetime, ttl: timedelta) -> Lease:
        """``INSERT ... ON CONFLICT (name) DO UPDATE ... WHERE`` the lease is free for us,
        then read it back in the same transaction (PostgreSQL: a concurrent taker waits for
        our row lock and then sees our lease; SQLite: writers are serialised)."""
        with self._engine.begin() as connection:
            statement = upsert(connection, leases).values(
                name=name, holder=holder, expires_at=now + ttl
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[leases.c.name],
                    set_={"holder": holder, "expires_at": now + ttl},
                    where=sa.or_(leases.c.expires_at <= now, leases.c.holder == holder),
                )
            )
            row = connection.execute(sa.select(leases).where(leases.c.name == name)).one()
        return Lease(name=row.name, holder=row.holder, expires_at=row.expires_at)

    def release_lease(self, name: str, *, holder: str) -> None:
        """Delete the row if ``holder`` still holds it."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.delete(leases).where(leases.c.name == name, leases.c.holder == holder)
            )
