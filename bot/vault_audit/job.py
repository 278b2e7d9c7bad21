"""``AuditLogReader``: the job inside ``credbot serve`` that follows Vault's audit log every
second and raises shared-account alerts.

Several replicas, one reader: every replica runs the job, but a tick only reads while it holds
the ``vault-audit`` lease (the sweep's lease table, ``bot.core.leases``); the others skip
quietly and one of them takes over within ``LEASE_TTL`` when the holder dies. The position in
the log lives in the database and moves in the same transaction as the logins and flags it
covers, guarded by where it stood, so even two readers overlapping for a moment never take a
line in twice, and an alert is raised once however many replicas run.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.interfaces import Leases
from bot.core.scheduler import Periodic
from bot.core.sharing import Batch, PositionMoved, SharedAccounts, SharingFlag, post_alerts, take_in
from bot.core.vault_logins import UnparseableLine, VaultLogin, parse_line
from bot.metrics import SHARING_ALERTS, VAULT_AUDIT_LINES
from bot.vault_audit.file import AuditLogFile, AuditLogUnreadable, Lines

log = logging.getLogger("credbot.vault_audit")

READER = "vault-audit"
"""The lease's name and the reader's name for its stored position."""
INTERVAL = timedelta(seconds=1)
LEASE_TTL = timedelta(seconds=15)
MAX_SLICES_PER_TICK = 64
"""Slices of ``AuditLogFile.read`` per tick, so a large backlog never starves the lease."""


class AuditLogReader(Periodic):
    """Reads the audit log every ``interval`` while this process holds the reader lease."""

    def __init__(
        self,
        *,
        sharing: SharedAccounts,
        source: AuditLogFile,
        leases: Leases,
        holder: str,
        interval: timedelta = INTERVAL,
    ) -> None:
        super().__init__(name="credbot-vault-audit", interval=interval)
        self._sharing = sharing
        self._source = source
        self._leases = leases
        self._holder = holder
        self._problem: str | None = None

    def run_once(self) -> list[SharingFlag] | None:
        """Take in what Vault wrote since the last tick and post the alerts; the flags
        raised, or ``None`` when another replica holds the reader lease."""
        clock = self._sharing.core.clock
        lease = self._leases.take_lease(READER, holder=self._holder, now=clock.now(), ttl=LEASE_TTL)
        if lease.holder != self._holder:
            self._source.close()  # another replica reads; follow again from its position
            return None
        raised: list[SharingFlag] = []
        for _ in range(MAX_SLICES_PER_TICK):
            try:
                lines = self._source.read(self._sharing.store.log_position(READER))
            except AuditLogUnreadable as exc:
                self._report(str(exc))
                break
            self._report(None)
            if lines is None:
                break
            batch = _batch(lines)
            try:
                flags = take_in(self._sharing, READER, batch)
            except PositionMoved:
                self._source.close()
                break
            _count(lines, batch, flags)
            raised += flags
            if not lines.more:
                break
        post_alerts(self._sharing)
        return raised

    def stop(self) -> None:
        """Stop the ticks and give the lease up, so another replica reads at once."""
        super().stop()
        self._leases.release_lease(READER, holder=self._holder)
        self._source.close()

    def _report(self, problem: str | None) -> None:
        """Log a problem with the file once (and once more when it is over), not every tick."""
        if problem != self._problem:
            if problem:
                log.error("%s; shared-account detection waits for it", problem)
            else:
                log.info("reading the audit log %s", self._source.path)
        self._problem = problem


def _count(lines: Lines, batch: Batch, flags: list[SharingFlag]) -> None:
    """Count what a batch held into ``/metrics`` (lines by outcome, alerts raised)."""
    read = len(lines.lines) + lines.skipped
    VAULT_AUDIT_LINES.labels(outcome="login").inc(len(batch.logins))
    VAULT_AUDIT_LINES.labels(outcome="unparseable").inc(batch.unparseable)
    VAULT_AUDIT_LINES.labels(outcome="other").inc(read - len(batch.logins) - batch.unparseable)
    SHARING_ALERTS.inc(len(flags))


def _batch(lines: Lines) -> Batch:
    """The logins in ``lines``; lines that are not audit entries are counted and skipped."""
    if lines.note:
        log.warning("%s", lines.note)
    logins: list[VaultLogin] = []
    unparseable = lines.skipped
    for line in lines.lines:
        try:
            login = parse_line(line)
        except UnparseableLine as exc:
            unparseable += 1
            log.debug("audit log line skipped: %s", exc)
            continue
        if login is not None:
            logins.append(login)
    return Batch(start=lines.start, end=lines.end, logins=logins, unparseable=unparseable)
