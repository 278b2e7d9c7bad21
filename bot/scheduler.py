"""The sweep on a timer, inside ``credbot serve``. Every replica keeps a timer, but a run
holds the sweep lease (``bot.core.sweep.exclusive_sweep``): when another replica is sweeping,
this one skips its turn quietly, so Slack's ``users.list`` and Vault's LIST are paged once per
interval, not once per replica. Contractors are still claimed one by one within a sweep, so a
manual sweep (``/contractor sweep``) running beside it never works on the same contractor."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from bot.core.context import Core
from bot.core.errors import LeaseBusy
from bot.core.interfaces import Directory, Leases
from bot.core.sweep import SweepOptions, SweepReport, exclusive_sweep

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
        leases: Leases,
        directory: Directory | None = None,
    ) -> None:
        self._core = core
        self._options = options
        self._interval = interval.total_seconds()
        self._leases = leases
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

    def run_once(self) -> SweepReport | None:
        """One sweep, summarised in the log; ``None`` when it was skipped (another replica
        holds the sweep) or failed."""
        try:
            report = exclusive_sweep(
                self._core, self._options, leases=self._leases, directory=self._directory
            )
        except LeaseBusy as busy:
            log.debug("scheduled sweep skipped: %s sweeps until %s", busy.holder, busy.until)
            return None
        except Exception:
            log.exception("scheduled sweep failed; retrying at the next interval")
            return None
        log.info(
            "scheduled sweep: %d acted on, %d pending, %d orphans, breaker=%s",
            sum(item.outcome == "done" for item in report.items),
            len(report.pending),
            len(report.orphans),
            report.breaker,
        )
        return report
