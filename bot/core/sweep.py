"""The sweep: revoke what is due, finish what was interrupted, reconcile Vault with the database.

Run by admins (``credbot sweep``, cron, ``/contractor sweep``) and on a schedule inside
``credbot serve``. Scheduled and cron sweeps hold the sweep lease (``exclusive_sweep``), so one
replica sweeps at a time and Slack and Vault are listed once per interval. Any sweep is safe
beside another anyway: each contractor is claimed with a lease (one conditional UPDATE) before
Vault is touched, so two sweeps never work on the same contractor, and a claim left by a
replica that died lapses and is taken over. It ends by anchoring the audit chain
(``bot.core.anchoring``), so an anchor that lagged while Vault was down catches up.

Revocations run every sweep; the comparison of Vault's users with the database (orphans,
missing users: a full paged ``LIST``, about 1 s at 100,000 users) runs only when the last one
is ``SweepOptions.reconcile_every`` old (the scheduled sweep: ``CREDBOT_RECONCILE_INTERVAL``;
an admin's ``credbot sweep`` always compares). That is safe because nothing credbot decides
depends on it: end dates, departures, expired links and interrupted revocations come from the
database, and credbot records every username before creating it, so its own half-made
accounts are found by the database's stale-account check, which runs every sweep. The
comparison only catches what was done to Vault by hand (a user made in credbot's mount, a
user deleted), and finds it within one interval plus one sweep. Each comparison made under an
interval is an audit event (``vault_reconciled``), so replicas and restarts share when the
last one ran (an admin's comparison is not recorded: the next scheduled one compares anyway).

A circuit breaker protects against mass signals from outside: if Slack reports more than
``max_share`` of the contractors who hold access as deactivated (say during an outage, or a
misconfigured directory), the run revokes none of *those* and alerts instead; ``force``
overrides after a human looked. The breaker never holds what credbot's own database decides
(a contract end date, an expired link, an interrupted revocation): a cohort whose contracts end
the same day is revoked that day, because holding it would keep access on that nobody may have.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Literal

from bot.core import revocation
from bot.core.anchoring import anchor_chain
from bot.core.context import Core
from bot.core.departures import process_departures
from bot.core.errors import (
    ContractorNotFound,
    CredbotError,
    IllegalTransition,
    RevocationPending,
    StaleState,
)
from bot.core.interfaces import Directory, Leases
from bot.core.leases import DEFAULT_TTL
from bot.core.leases import holding as hold_lease
from bot.core.models import Contractor, VaultAccountRecord
from bot.core.retention import erase_expired
from bot.core.reviews import AccessReviews, ReviewRun, ending_reason, run_reviews
from bot.core.second_factor import move_to_login_mfa
from bot.core.states import CONTRACT_END_STATES, State
from vault.errors import VaultError, VaultUnavailable

log = logging.getLogger("credbot.core.sweep")

Action = Literal[
    "finish_revocation",
    "expire_link",
    "contract_ended",
    "deactivated",
    "agency_cut_off",
    "review_ended",
]
Outcome = Literal["planned", "done", "pending", "skipped", "held"]

BREAKER_MIN_REVOCATIONS = 5
"""Below this many outside signals in one run the breaker never trips (small teams)."""
OUTSIDE_SIGNALS: frozenset[Action] = frozenset({"deactivated"})
"""Actions that come from outside credbot's database (Slack's ``users.list``): only these can
trip the breaker or be held by it."""
RECONCILED = "vault_reconciled"
"""The audit action of a comparison of Vault's users with the database (``reconcile_every``)."""
STALE_ACCOUNT_GRACE = timedelta(minutes=10)
"""An account record younger than this may belong to an issue still under way."""
SWEEP_ACTOR = "credbot-sweep"
SWEEP_LEASE = "sweep"
"""The lease a sweep holds (``exclusive_sweep``) so that one replica at a time sweeps."""


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep runs; ``worker`` names this process in claims and the audit trail."""

    worker: str = SWEEP_ACTOR
    dry_run: bool = False
    fix_drift: bool = False
    force: bool = False
    max_share: float = 0.2
    lease: timedelta = timedelta(minutes=10)
    reconcile_every: timedelta = timedelta(0)
    """Compare Vault's users with the database only when the last comparison (the newest
    ``vault_reconciled`` audit event) is at least this old; ``0``: every run (module doc)."""
    workers: int = 4
    """Contractors revoked at once: Vault handles concurrent requests well, so a large sweep
    is bounded by round trips, not by Vault's work."""
    batch: int = 16
    """Contractors a worker claims and revokes together: the batch shares one claim, one
    ``revoking`` and one ``revoked`` transaction, each with one audit append, instead of one
    of each per contractor. A crash leaves at most this many per worker ``revoking`` under
    a claim, which a later sweep finishes once the lease lapses. The claims of a batch are
    held until its last revocation (about 0.1-0.2 s each), so ``lease`` must be well above
    a batch's time; a claim that lapses early only lets another sweep redo idempotent Vault
    calls, and the conditional ``revoked`` change still records each contractor once."""


@dataclass
class SweepItem:
    """One contractor the sweep acted on (or, in a dry run, would)."""

    contractor_id: str
    slack_user_id: str
    action: Action
    outcome: Outcome = "planned"
    detail: str = ""
    vault_unreachable: bool = False
    """Pending because Vault did not answer."""
    reason: str = ""
    """The audit reason of the revocation when not the action's usual one (``REASONS``)."""


@dataclass
class SweepReport:
    """What a sweep found and did; ``all_done`` is what the exit code reports."""

    dry_run: bool
    items: list[SweepItem] = field(default_factory=list)
    stale_accounts: list[str] = field(default_factory=list)
    """Vault accounts the database records as not in use (half-made issues, old accounts)."""
    orphans: list[str] = field(default_factory=list)
    """Vault users in credbot's mount that the database has no live record of."""
    orphans_removed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Usernames of issued/active contractors that Vault does not have."""
    reconciled: bool = False
    """Whether this run compared Vault's users with the database (``orphans``, ``missing``)."""
    breaker: str | None = None
    problems: list[str] = field(default_factory=list)
    departures: list[str] = field(default_factory=list)
    """Contractors revoked while finishing recorded Slack departure events."""
    erased: int = 0
    """Finished records whose personal data was erased (the retention period ended)."""
    moved_to_login_mfa: list[str] = field(default_factory=list)
    """Contractors reissued because their account was from before login MFA."""
    reviews: ReviewRun | None = None
    """What access reviews did in this run (``None``: they are off, or a dry run)."""
    anchored_seq: int | None = None
    """The audit event the signed anchor names after the run (``None``: not anchored)."""
    vault_unreachable: bool = False
    """Vault did not answer during the run: what needed it is pending until Vault is back
    (``credbot sweep`` exits 4 rather than 1, so an alert can say which)."""

    @property
    def pending(self) -> list[SweepItem]:
        """Items whose revocation could not finish in this run."""
        return [item for item in self.items if item.outcome in ("pending", "held")]

    @property
    def all_done(self) -> bool:
        """True when nothing is left for a later run."""
        return not self.pending and self.breaker is None and not self.problems

    def as_json(self) -> dict[str, object]:
        """The report as JSON-ready data (``credbot sweep --json``)."""
        return {**asdict(self), "all_done": self.all_done}


Progress = Callable[[int, int], None]


def sweep(
    core: Core,
    options: SweepOptions,
    *,
    directory: Directory | None = None,
    progress: Progress | None = None,
    reviews: AccessReviews | None = None,
) -> SweepReport:
    """Plan, guard, act, reconcile; with ``reviews``, run access reviews first (so the
    contractors whose review lapsed now are revoked in this run). Never raises for one
    contractor's failure: it is recorded as ``pending`` and the next run retries it. A run
    that changes things is timed and counted (``core.metrics``)."""
    started = time.perf_counter()  # a duration, not a moment: the core's clock may be frozen
    report = SweepReport(dry_run=options.dry_run)
    if directory is not None and not options.dry_run:
        report.departures = process_departures(core, directory)
    if reviews is not None and not options.dry_run:
        report.reviews = run_reviews(core, reviews, actor=options.worker)
        report.problems.extend(report.reviews.problems)
    report.items = _plan(core, directory, report, reviews)
    _apply_breaker(core, options, report)
    if not options.dry_run:
        act_on_all(core, options, report.items, progress)
        report.vault_unreachable = any(item.vault_unreachable for item in report.items)
        _note_claimed_elsewhere(core, report)
    _reconcile(core, options, report)
    report.erased = erase_expired(core, actor=options.worker, dry_run=options.dry_run)
    report.moved_to_login_mfa = move_to_login_mfa(
        core, actor=options.worker, dry_run=options.dry_run
    )
    if not options.dry_run:
        core.store.append_audit(
            core.entry(
                actor=options.worker,
                action="sweep",
                reason="sweep finished" if report.all_done else "sweep left work pending",
                details={
                    "done": sum(item.outcome == "done" for item in report.items),
                    "pending": len(report.pending),
                    "orphans": len(report.orphans),
                    "orphans_removed": len(report.orphans_removed),
                    "missing": len(report.missing),
                    "erased": report.erased,
                    "moved_to_login_mfa": len(report.moved_to_login_mfa),
                    "breaker": report.breaker,
                },
            )
        )
        _anchor(core, report)
        core.metrics.sweep_finished(
            seconds=time.perf_counter() - started, all_done=report.all_done, at=core.clock.now()
        )
    return report


def _anchor(core: Core, report: SweepReport) -> None:
    """Anchor the audit chain, this run's events included: the catch-up for anchors that
    lagged while Vault was down. A failure is a problem for a person, never a lost append."""
    try:
        anchor = anchor_chain(core)
    except (VaultError, CredbotError) as exc:
        report.problems.append(f"audit trail not anchored: {exc}")
        report.vault_unreachable |= isinstance(exc, VaultUnavailable)
        return
    report.anchored_seq = anchor.seq if anchor else None


def exclusive_sweep(
    core: Core,
    options: SweepOptions,
    *,
    leases: Leases,
    directory: Directory | None = None,
    progress: Progress | None = None,
    reviews: AccessReviews | None = None,
) -> SweepReport:
    """``sweep`` while holding the sweep lease, so that however many replicas share the
    database, one sweeps at a time and Slack's ``users.list`` and Vault's LIST are paged once
    per interval. Raises ``LeaseBusy`` (and does nothing) while another process sweeps. A dry
    run changes nothing, so it takes no lease and runs beside any sweep.

    A run that dies blocks the next for at most the lease's TTL: ``DEFAULT_TTL`` (2 minutes),
    or ``options.lease`` when shorter (a run allowed to hold a contractor only that long must
    not hold the whole sweep longer)."""
    if options.dry_run:
        return sweep(core, options, directory=directory, progress=progress, reviews=reviews)
    ttl = min(options.lease, DEFAULT_TTL)
    with hold_lease(leases, core.clock, name=SWEEP_LEASE, holder=options.worker, ttl=ttl):
        return sweep(core, options, directory=directory, progress=progress, reviews=reviews)


def _plan(
    core: Core, directory: Directory | None, report: SweepReport, reviews: AccessReviews | None
) -> list[SweepItem]:
    now = core.clock.now()
    items: dict[str, SweepItem] = {}
    for contractor in core.store.due_for_sweep(now=now, today=now.date()):
        items[contractor.id] = SweepItem(
            contractor.id, contractor.slack_user_id, _reason_due(contractor, now.date())
        )
    for review in reviews.store.still_holding_access() if reviews else ():
        items.setdefault(
            review.contractor_id,
            SweepItem(
                review.contractor_id,
                review.contractor_slack_id,
                "review_ended",
                reason=ending_reason(review),
            ),
        )
    if directory is not None:
        try:
            gone = directory.deactivated_user_ids()
        except Exception as exc:  # the directory is Slack: any failure means "unknown"
            report.problems.append(f"could not list deactivated Slack users: {exc}")
            gone = set()
        if gone:
            for contractor in core.store.list_contractors(
                states=CONTRACT_END_STATES, slack_user_ids=gone
            ):
                items.setdefault(
                    contractor.id,
                    SweepItem(contractor.id, contractor.slack_user_id, "deactivated"),
                )
    return list(items.values())


def _reason_due(contractor: Contractor, today: date) -> Action:
    if contractor.state is State.REVOKING:
        return "finish_revocation"
    if contractor.end_date < today:
        return "contract_ended"
    return "expire_link"


def _apply_breaker(core: Core, options: SweepOptions, report: SweepReport) -> None:
    """Hold the revocations Slack alone asks for when they are too many; the others go on."""
    signalled = [i for i in report.items if i.action in OUTSIDE_SIGNALS]
    if options.force or len(signalled) < BREAKER_MIN_REVOCATIONS:
        return
    counts = core.store.count_by_state()
    holding = sum(counts.get(state, 0) for state in CONTRACT_END_STATES)
    if len(signalled) <= options.max_share * holding:
        return
    report.breaker = (
        f"Slack reports {len(signalled)} of the {holding} contractors with access as "
        f"deactivated, more than the {options.max_share:.0%} limit; none of them were revoked "
        "(ended contracts and expired links were). Check the cause, then run with --force."
    )
    for item in signalled:
        item.outcome = "held"
        item.detail = "circuit breaker"
    if not options.dry_run:
        core.notifier.alert_admins(summary=f"Sweep circuit breaker tripped: {report.breaker}")


REASONS: dict[Action, str] = {
    "finish_revocation": "finishing an interrupted revocation",
    "contract_ended": "contract ended",
    "deactivated": "Slack account deactivated",
    "agency_cut_off": "agency cut off",
    "review_ended": "access review ended access",
}
"""The audit reason of each revoking action."""


def act_on_all(
    core: Core, options: SweepOptions, items: list[SweepItem], progress: Progress | None
) -> None:
    """Act on every planned item, in batches (see ``SweepOptions.batch``) spread over
    ``options.workers`` threads; report progress in order of completion. Expiring links stay
    one per batch: they are rare, and checked one by one before anything is destroyed.
    Public for other bulk revocations (``bot.core.agency_cutoff``), which take this path."""
    planned = [item for item in items if item.outcome == "planned"]
    revoking = [item for item in planned if item.action != "expire_link"]
    workers = max(1, options.workers)
    batches = [[item] for item in planned if item.action == "expire_link"] + _batches(
        revoking, workers=workers, largest=max(1, options.batch)
    )
    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_act, core, options, batch): len(batch) for batch in batches}
        for future in as_completed(futures):
            future.result()
            done += futures[future]
            if progress is not None:
                progress(done, len(planned))


def _batches(items: list[SweepItem], *, workers: int, largest: int) -> list[list[SweepItem]]:
    """Split ``items`` into batches of at most ``largest``, as many as a multiple of
    ``workers`` and of even sizes, so no worker idles through a last round the others have
    finished (a batch is revoked one contractor after the other)."""
    if not items:
        return []
    count = workers * -(-len(items) // (workers * largest))
    size = -(-len(items) // count)
    return [items[start : start + size] for start in range(0, len(items), size)]


def _act(core: Core, options: SweepOptions, batch: list[SweepItem]) -> None:
    """Claim the batch (one conditional UPDATE, row by row), then revoke or expire what we
    won; release the claims of whatever did not finish."""
    claimed = {
        contractor.id: contractor
        for contractor in core.store.claim_many_for_sweep(
            [item.contractor_id for item in batch],
            worker=options.worker,
            now=core.clock.now(),
            lease=options.lease,
        )
    }
    ours = [item for item in batch if item.contractor_id in claimed]
    for item in batch:
        if item.contractor_id not in claimed:
            item.outcome, item.detail = "skipped", "another sweep is working on it"
    try:
        if len(ours) == 1 and ours[0].action == "expire_link":
            _note_outcome(ours[0], _expire(core, claimed[ours[0].contractor_id], options))
            return
        outcomes = revocation.offboard_many(
            core,
            [(claimed[item.contractor_id], item.reason or REASONS[item.action]) for item in ours],
            actor=options.worker,
        )
        for item, outcome in zip(ours, outcomes, strict=True):
            _note_outcome(item, outcome)
    finally:
        for item in ours:
            if item.outcome != "done":  # a finished one released the claim with its state
                core.store.release_sweep_claim(item.contractor_id, worker=options.worker)


def _expire(core: Core, contractor: Contractor, options: SweepOptions) -> Contractor | CredbotError:
    try:
        return revocation.expire(core, contractor, actor=options.worker)
    except CredbotError as exc:
        return exc


def _note_outcome(item: SweepItem, outcome: Contractor | CredbotError) -> None:
    if isinstance(outcome, Contractor):
        item.outcome = "done"
    elif isinstance(outcome, RevocationPending):
        item.outcome, item.detail = "pending", outcome.cause
        item.vault_unreachable = outcome.vault_unreachable
    elif isinstance(outcome, StaleState | IllegalTransition | ContractorNotFound):
        item.outcome, item.detail = "skipped", f"changed meanwhile: {outcome}"
    else:
        raise outcome


def _note_claimed_elsewhere(core: Core, report: SweepReport) -> None:
    """``due_for_sweep`` hides contractors claimed by another sweep: a live replica, or one
    that died and whose lease has not lapsed. A ``revoking`` one among them is not done, so
    the run must not report "all done" (exit 0) while it may still hold access."""
    ours = sum(item.outcome == "pending" and item.action != "expire_link" for item in report.items)
    elsewhere = core.store.count_by_state().get(State.REVOKING, 0) - ours
    if elsewhere > 0:
        report.problems.append(
            f"{elsewhere} revocation(s) claimed by another sweep (a running replica, or one "
            "that died: its claims lapse after their lease) are not finished yet"
        )


def _reconcile(core: Core, options: SweepOptions, report: SweepReport) -> None:
    """Destroy stale accounts; when due (``reconcile_every``), compare Vault's users with the
    database, page by page (``vault_drift``), and report drift."""
    if _reconciliation_due(core, options):
        try:
            drift = core.store.vault_drift(core.vault.iter_accounts())
        except VaultError as exc:
            report.problems.append(f"could not list Vault users: {exc}")
            report.vault_unreachable |= isinstance(exc, VaultUnavailable)
            return
        report.reconciled = True
        report.orphans, report.missing = list(drift.orphans), list(drift.missing)
    cutoff = core.clock.now() - STALE_ACCOUNT_GRACE
    stale = core.store.stale_accounts(stale_before=cutoff)
    report.stale_accounts = [a.username for a in stale]
    if options.dry_run:
        return
    if report.reconciled and options.reconcile_every > timedelta(0):
        core.store.append_audit(
            core.entry(
                actor=options.worker,
                action=RECONCILED,
                details={"orphans": len(report.orphans), "missing": len(report.missing)},
            )
        )
    _alert_new_orphans(core, options, report.orphans)
    for account in stale:
        _destroy(core, options, account, report, reason="account not in use")
    if options.fix_drift:
        for username in report.orphans:
            orphan = VaultAccountRecord(username=username, contractor_id="", created_at=cutoff)
            if _destroy(core, options, orphan, report, reason="orphan removed (--fix-drift)"):
                report.orphans_removed.append(username)


def _reconciliation_due(core: Core, options: SweepOptions) -> bool:
    """Whether this run compares Vault with the database: always with ``reconcile_every`` 0
    or in a dry run (which records nothing), else when the last comparison is that old."""
    if options.reconcile_every <= timedelta(0) or options.dry_run:
        return True
    last = core.store.last_audit_event(action=RECONCILED)
    return last is None or core.clock.now() - last.entry.at >= options.reconcile_every


def _alert_new_orphans(core: Core, options: SweepOptions, orphans: list[str]) -> None:
    """Tell the admins about Vault users in credbot's mount that no record explains (someone
    made them outside credbot, perhaps with a role policy), once per set of orphans: the set
    last reported is kept in the audit trail (``orphans_found``)."""
    if not orphans:
        return
    last = core.store.last_audit_event(action="orphans_found")
    if last is not None and last.entry.details.get("orphans") == orphans:
        return
    core.store.append_audit(
        core.entry(actor=options.worker, action="orphans_found", details={"orphans": orphans})
    )
    core.notifier.alert_admins(summary=messages_orphans(orphans))


def messages_orphans(orphans: list[str]) -> str:
    """The admins' alert about orphan Vault users."""
    shown = ", ".join(orphans[:20]) + (
        f" and {len(orphans) - 20} more" if len(orphans) > 20 else ""
    )
    return (
        f"{len(orphans)} Vault user(s) in auth/credbot that no credbot record explains: {shown}. "
        "Someone created them outside credbot (one may hold a role policy). Check who, then "
        "`credbot sweep --fix-drift` removes the ctr-* ones; any other name needs a Vault admin."
    )


def _destroy(
    core: Core,
    options: SweepOptions,
    account: VaultAccountRecord,
    report: SweepReport,
    *,
    reason: str,
) -> bool:
    try:
        proof = core.vault.revoke_account(username=account.username)
    except VaultError as exc:
        report.problems.append(f"could not revoke {account.username}: {exc}")
        report.vault_unreachable |= isinstance(exc, VaultUnavailable)
        return False
    if not proof.complete:
        report.problems.append(f"Vault still reports {proof}")
        return False
    core.store.mark_account_revoked(
        account.username,
        at=core.clock.now(),
        event=core.entry(
            actor=options.worker,
            action="account_revoked",
            reason=reason,
            details={"contractor_id": account.contractor_id or None, **asdict(proof)},
        ),
    )
    return True
