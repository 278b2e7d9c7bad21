"""Jobs on a timer inside ``credbot serve``: the sweep and the audit anchor.

Every replica keeps both timers. A sweep run holds the sweep lease
(``bot.core.sweep.exclusive_sweep``): when another replica is sweeping, this one skips its turn
quietly, so Slack's ``users.list`` and Vault's LIST are paged once per interval, not once per
replica (and contractors are still claimed one by one, so a manual sweep beside it never works
on the same contractor). Check-and-set on the anchor makes sure anchors only move forward (see
``bot.core.anchoring``).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from bot.core import queries
from bot.core.anchoring import anchor_chain
from bot.core.context import Core
from bot.core.errors import AnchorRefused, ChainDisagrees, LeaseBusy
from bot.core.interfaces import Directory, Leases
from bot.core.reviews import AccessReviews
from bot.core.sweep import SweepOptions, SweepReport, exclusive_sweep
from vault.errors import VaultError

log = logging.getLogger("credbot.scheduler")


class Periodic:
    """A daemon thread that calls ``run_once`` every ``interval`` (first after one interval,
    so start-up stays fast); a failed run is logged and retried at the next tick, never fatal
    to the server. With ``run_on_stop``, ``stop`` runs it once more after the last tick."""

    def __init__(self, *, name: str, interval: timedelta, run_on_stop: bool = False) -> None:
        self._name = name
        self._interval = interval.total_seconds()
        self._run_on_stop = run_on_stop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        """Begin the ticks."""
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the job's thread is alive."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop after the current run; waits for it to finish (and for the last run)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._run_on_stop:
            self._run_logged()

    def run_once(self) -> object:
        """One run of the job (what it returns is for tests to look at)."""
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._run_logged()

    def _run_logged(self) -> None:
        try:
            self.run_once()
        except Exception:
            log.exception("%s failed; retrying at the next interval", self._name)


class PeriodicSweep(Periodic):
    """The sweep every ``interval``, summarised in the log."""

    def __init__(
        self,
        *,
        core: Core,
        options: SweepOptions,
        interval: timedelta,
        leases: Leases,
        directory: Directory | None = None,
        reviews: AccessReviews | None = None,
    ) -> None:
        super().__init__(name="credbot-sweep", interval=interval)
        self._core = core
        self._options = options
        self._leases = leases
        self._directory = directory
        self._reviews = reviews

    def run_once(self) -> SweepReport | None:
        """One sweep, summarised in the log; ``None`` when it was skipped (another replica
        holds the sweep)."""
        try:
            report = exclusive_sweep(
                self._core,
                self._options,
                leases=self._leases,
                directory=self._directory,
                reviews=self._reviews,
            )
        except LeaseBusy as busy:
            log.debug("scheduled sweep skipped: %s sweeps until %s", busy.holder, busy.until)
            return None
        log.info(
            "scheduled sweep: %d acted on, %d pending, %s, breaker=%s",
            sum(item.outcome == "done" for item in report.items),
            len(report.pending),
            f"{len(report.orphans)} orphans" if report.reconciled else "Vault not compared",
            report.breaker,
        )
        return report


class PeriodicAnchor(Periodic):
    """Anchors the audit chain every ``interval`` when it grew, and once more at shutdown, so
    changes are signed within one interval (in batches when they come fast).

    A tick with nothing new costs one indexed read of the newest event; Vault is asked only
    when there is something to sign. Vault down: logged, the anchor lags, a later tick (or
    the sweep) catches up. A chain that disagrees with the anchor, or an anchor credbot did
    not sign: nothing is signed over it, every tick logs it, and the admins are alerted once
    per anchor (not again each time the wording changes as new events arrive).
    """

    def __init__(self, *, core: Core, interval: timedelta) -> None:
        super().__init__(name="credbot-anchor", interval=interval, run_on_stop=True)
        self._core = core
        self._anchored: tuple[int, str] | None = None
        self._alerted: tuple[str, object] | None = None

    def run_once(self) -> None:
        """Anchor the newest event if it is not the one this job anchored last."""
        newest = queries.newest_audit_event(self._core)
        if newest is None or self._anchored == (newest.seq, newest.hash):
            return
        try:
            anchor = anchor_chain(self._core)
        except VaultError as exc:
            log.warning("audit chain not anchored yet (Vault: %s); retrying", exc)
            return
        except AnchorRefused as exc:
            self._alert(exc, about=("refused", str(exc)))
            return
        except ChainDisagrees as exc:
            self._alert(exc, about=("disagrees", exc.anchor_seq))
            return
        self._anchored = (anchor.seq, anchor.hash) if anchor else None
        self._alerted = None

    def _alert(self, finding: Exception, *, about: tuple[str, object]) -> None:
        """Log ``finding``; alert the admins unless they last heard about the same thing."""
        log.error("audit anchor: %s", finding)
        if about != self._alerted:
            self._core.notifier.alert_admins(summary=f"Audit trail: {finding}")
            self._alerted = about
