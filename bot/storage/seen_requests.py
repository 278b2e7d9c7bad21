"""``SqlSeenRequests``: the replay guard's memory, shared by every replica through the database.

A signed request is remembered by a digest (the primary key decides: of any number of replicas
receiving the same request at once, exactly one inserts it) until its signature window ends.
Expired digests are deleted at most once a minute per process, in a transaction of their own,
so the request that happens to trigger the purge waits for nothing but its own insert.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.engine import upsert
from bot.storage.tables import seen_requests

log = logging.getLogger("credbot.storage.seen_requests")

PURGE_EVERY = timedelta(minutes=1)


class SqlSeenRequests:
    """``bot.slack.verification.SeenRequests`` on SQLite or PostgreSQL."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine
        self._next_purge: datetime | None = None
        self._purge_lock = threading.Lock()

    def first_sight(self, digest: str, *, expires_at: datetime, now: datetime) -> bool:
        """Remember ``digest`` until ``expires_at``; ``True`` the first time, ``False`` while
        it is remembered (a replay). One ``INSERT ... ON CONFLICT DO NOTHING``. Raises
        ``SQLAlchemyError`` when the database does not answer (the caller refuses the
        request: a replay guard that cannot remember must not let requests through)."""
        self._purge_if_due(now)
        with self._engine.begin() as connection:
            inserted = connection.execute(
                upsert(connection, seen_requests)
                .values(digest=digest, expires_at=expires_at)
                .on_conflict_do_nothing(index_elements=[seen_requests.c.digest])
                .returning(seen_requests.c.digest)
            ).first()
        return inserted is not None

    def _purge_if_due(self, now: datetime) -> None:
        """Forget digests whose window has passed; a failure is logged and retried later
        (old rows cost space, never correctness: ``expires_at`` is in the past for them)."""
        with self._purge_lock:
            if self._next_purge is not None and now < self._next_purge:
                return
            self._next_purge = now + PURGE_EVERY
        try:
            with self._engine.begin() as connection:
                connection.execute(sa.delete(seen_requests).where(seen_requests.c.expires_at < now))
        except SQLAlchemyError as exc:
            log.warning("could not forget expired request digests: %s", type(exc).__name__)
