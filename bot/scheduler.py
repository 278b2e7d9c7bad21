"""The sweep on a timer, inside ``credbot serve``: every replica runs one, and the claims in
the database make sure they never work on the same contractor (see ``bot.core.sweep``)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from bot.core.context import Core
from bot.core.interfaces import Directory
from bot.core.sweep import SweepOptions, sweep

log = logging.getLogger("credbot.scheduler")


class PeriodicSweep:
    """A daemon thread that sweeps every ``interval``; a failed run is logged and retried at
    the next tick, never fatal to the server."""

    def __init__(
        self,
        *,
        core: Core,
        options: SweepOptions,
        interval: timedelta,
        directory: Directory | None = None,
    ) -> None:
        self._core = core
        self._options = options
        self._interval = interval.total_seconds()
        self._directory = directory
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="credbot-sweep", daemon=True)

    def start(self) -> None:
        """Begin sweeping (first run after one interval, so start-up stays fast)."""
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the sweeping thread is alive."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop after the current run; waits for it to finish."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.run_once()

    def run_once(self) -> None:
        """One sweep, summarised in the log."""
        try:
            report = sweep(self._core, self._options, directory=self._directory)
        except Exception:
            log.exception("scheduled sweep failed; retrying at the next interval")
            return
        log.info(
            "scheduled sweep: %d acted on, %d pending, %d orphans, breaker=%s",
            sum(item.outcome == "done" for item in report.items),
            len(report.pending),
            len(report.orphans),
            report.breaker,
        )
