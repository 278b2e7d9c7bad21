"""Running a job on one replica at a time: hold a lease while the job runs.

The lease is short (``ttl``) and pushed forward by a heartbeat thread every third of it, so a
replica that dies blocks the job for at most ``ttl``, however long a healthy run takes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from bot.core.errors import LeaseBusy
from bot.core.interfaces import Clock, Leases

log = logging.getLogger("credbot.core.leases")

DEFAULT_TTL = timedelta(minutes=2)


@contextmanager
def holding(
    leases: Leases, clock: Clock, *, name: str, holder: str, ttl: timedelta = DEFAULT_TTL
) -> Iterator[None]:
    """Hold lease ``name`` as ``holder`` for the ``with`` block, extending it while the block
    runs and releasing it after. Raises ``LeaseBusy`` (and runs nothing) when another holder
    has it. A failed extension is logged, not raised: the job goes on, and at worst another
    replica starts the same job once the lease lapses, which the job must tolerate anyway
    (the sweep does: contractors are claimed one by one)."""
    lease = leases.take_lease(name, holder=holder, now=clock.now(), ttl=ttl)
    if lease.holder != holder:
        raise LeaseBusy(name=name, holder=lease.holder, until=lease.expires_at)
    done = threading.Event()

    def extend() -> None:
        while not done.wait(ttl.total_seconds() / 3):
            try:
                kept = leases.take_lease(name, holder=holder, now=clock.now(), ttl=ttl)
            except Exception as exc:  # the database: retried at the next beat
                log.warning("could not extend lease %s: %s", name, type(exc).__name__)
                continue
            if kept.holder != holder:
                log.warning("lease %s lapsed and was taken by %s", name, kept.holder)

    heartbeat = threading.Thread(target=extend, name=f"credbot-lease-{name}", daemon=True)
    heartbeat.start()
    try:
        yield
    finally:
        done.set()
        heartbeat.join()
        leases.release_lease(name, holder=holder)
