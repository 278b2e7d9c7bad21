"""``SqlSeenRequests``: the replay guard's memory, shared by every replica through the database.

A signed request is remembered by a digest (the primary key decides: of any number of replicas
receiving the same request at once, exactly one inserts it) until its signature window ends.

The guard runs before Slack gets its ack, so its write must not wait behind the work other
requests do after theirs, nor hold a thread while it waits:

- **One writer thread, group commit** (started by the first sighting, ended after a minute
  without one). ``first_sight`` queues the digest and returns a
  ``Future`` at once (the Slack door awaits it on the event loop). The guard's own thread
  inserts every digest queued while its last write ran with one
  ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (executed for many rows: SQLAlchemy sends
  them as one multi-row statement, compiled once whatever the group's size) and answers each
  future from the digests it returns: a burst of fifty commands costs a few transactions and
  one pooled connection.
- **The front of the queue.** On SQLite those writes take the engine's writer lock ahead of
  every other waiting writer (``urgent``, ``bot.storage.engine``): a guard write waits at most
  for the one transaction already running, never for the queue behind it.

Expired digests are deleted at most once a minute, by the same thread between two groups.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.engine import upsert, urgent
from bot.storage.tables import seen_requests

log = logging.getLogger("credbot.storage.seen_requests")

PURGE_EVERY = timedelta(minutes=1)
IDLE_S = 60.0
"""How long the writer thread waits for a digest before it ends."""


@dataclass(frozen=True)
class _Sighting:
    """One caller's digest, waiting for the group write that answers ``answer``."""

    digest: str
    expires_at: datetime
    now: datetime
    answer: Future[bool] = field(default_factory=Future)


class SqlSeenRequests:
    """``bot.slack.verification.SeenRequests`` on SQLite or PostgreSQL."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine
        self._next_purge: datetime | None = None
        self._queue: queue.SimpleQueue[_Sighting] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()

    def first_sight(self, digest: str, *, expires_at: datetime, now: datetime) -> Future[bool]:
        """Remember ``digest`` until ``expires_at``. The future answers ``True`` the first
        time, ``False`` while it is remembered (a replay, also when the same digest is in the
        same group), or raises ``SQLAlchemyError`` when the database does not answer (the
        caller refuses the request: a replay guard that cannot remember must not let
        requests through)."""
        sighting = _Sighting(digest, expires_at, now)
        with self._writer_lock:  # a writer about to end sees it, or a new one starts
            self._queue.put(sighting)
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_while_busy, name="credbot-replay-guard", daemon=True
                )
                self._writer.start()
        return sighting.answer

    def _write_while_busy(self) -> None:
        """Wait for a digest, take every other one queued by then, write them as one group;
        end after ``IDLE_S`` without one (the next sighting starts a new writer)."""
        while True:
            try:
                group = [self._queue.get(timeout=IDLE_S)]
            except queue.Empty:
                with self._writer_lock:
                    if self._queue.empty():
                        self._writer = None
                        return
                continue
            while not self._queue.empty():
                group.append(self._queue.get_nowait())
            self._purge_if_due(max(s.now for s in group))
            self._write(group)

    def _write(self, group: list[_Sighting]) -> None:
        """Insert the group's digests in one statement and answer each of its callers."""
        rows = {s.digest: s.expires_at for s in reversed(group)}  # the first sighting's window
        try:
            with urgent(self._engine.connect()) as connection, connection.begin():
                inserted = set(
                    connection.execute(
                        upsert(connection, seen_requests)
                        .on_conflict_do_nothing(index_elements=[seen_requests.c.digest])
                        .returning(seen_requests.c.digest),
                        [{"digest": d, "expires_at": e} for d, e in rows.items()],
                    ).scalars()
                )
        except Exception as exc:  # every caller of the group is answered, whatever happened
            for sighting in group:
                sighting.answer.set_exception(exc)
            return
        for sighting in group:  # within the group, only the first of a digest is new
            sighting.answer.set_result(sighting.digest in inserted)
            inserted.discard(sighting.digest)

    def _purge_if_due(self, now: datetime) -> None:
        """Forget digests whose window has passed; a failure is logged and retried later
        (old rows cost space, never correctness: ``expires_at`` is in the past for them)."""
        if self._next_purge is not None and now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY
        try:
            with self._engine.begin() as connection:
                connection.execute(sa.delete(seen_requests).where(seen_requests.c.expires_at < now))
        except SQLAlchemyError as exc:
            log.warning("could not forget expired request digests: %s", type(exc).__name__)
