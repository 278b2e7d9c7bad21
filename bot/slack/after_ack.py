"""``AfterAck``: where the work that follows an ack runs, and when it may start.

Slack times the ack (3 s) and nothing after it. Work after the ack (Vault, Slack API calls,
database transactions) is Python code too, and a thread running it takes the GIL from the
threads answering the next acks: measured with fifty ``/contractor onboard`` at once, the
post-ack work of the first ones doubled the time to the last ack. So a piece of work starts
only once no Slack request has waited for its ack for a moment (``QUIET_FOR_S``), or
``MAX_DEFER_S`` after it was handed in,
whichever comes first: a burst is answered first, then worked through. Under a steady stream of
requests, work is late by ``MAX_DEFER_S`` at most and the threads never idle on a deadline
that has passed, so the stream cannot slow the work down (a modal's ``trigger_id`` lives 3 s;
``MAX_DEFER_S`` is far below).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

log = logging.getLogger("credbot.slack")

WORK_THREADS = 4
"""Threads for work after the ack. Few on purpose: under a burst, dozens of busy threads would
fight the threads answering acks for the GIL; queued work waits a little longer instead."""
QUIET_FOR_S = 0.05
"""How long no request must have awaited its ack before work starts: a burst arrives over tens
of milliseconds, and a moment between two of its requests is not the end of it."""
MAX_DEFER_S = 0.5
"""The longest a piece of work waits, from when it was handed in, for the door to fall quiet."""


class AfterAck:
    """Runs work after acks, on ``threads`` threads, yielding to requests awaiting theirs."""

    def __init__(self, *, threads: int = WORK_THREADS, max_defer_s: float = MAX_DEFER_S) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="credbot-work")
        self._max_defer_s = max_defer_s
        self._awaiting = 0
        self._quiet = threading.Event()
        self._quiet.set()
        self._quiet_since = 0.0
        self._count_lock = threading.Lock()

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Held by the door while a request waits for its ack: work does not start meanwhile."""
        with self._count_lock:
            self._awaiting += 1
            self._quiet.clear()
        try:
            yield
        finally:
            with self._count_lock:
                self._awaiting -= 1
                if not self._awaiting:
                    self._quiet_since = time.monotonic()
                    self._quiet.set()

    def submit(self, work: Callable[[], None]) -> None:
        """Run ``work`` once the door is quiet (or ``MAX_DEFER_S`` passed); failures are logged."""
        self._pool.submit(self._run, work, time.monotonic() + self._max_defer_s)

    def _run(self, work: Callable[[], None], deadline: float) -> None:
        self._wait_for_quiet(deadline)
        try:
            work()
        except Exception:
            log.exception("work after the ack failed")

    def _wait_for_quiet(self, deadline: float) -> None:
        """Until no request has awaited its ack for ``QUIET_FOR_S``, or until ``deadline``."""
        while (left := deadline - time.monotonic()) > 0 and self._quiet.wait(left):
            settling = self._quiet_since + QUIET_FOR_S - time.monotonic()
            if settling <= 0:
                return
            time.sleep(min(settling, left))
