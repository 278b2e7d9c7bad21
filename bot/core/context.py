"""What every lifecycle step needs, bundled once, and the one way a step changes state.

``Core`` is built in ``bot.wiring`` from concrete backends; the doors (CLI, Slack, web) only hold
a ``Core`` and call the functions of ``bot.core.onboarding``, ``issuing``, ``enrolment`` and
``revocation`` with it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.errors import CredbotError, IllegalTransition
from bot.core.interfaces import (
    AuditAnchors,
    Clock,
    ContractorStore,
    Metrics,
    NoMetrics,
    Notifier,
    VaultBackend,
)
from bot.core.models import AuditEntry, CheckResult, Contractor, ContractorChanges, StateChange
from bot.core.states import State, ensure_transition

log = logging.getLogger("credbot.core")


@dataclass(frozen=True)
class Policy:
    """Tunable rules of the lifecycle (from settings)."""

    public_url: str
    link_ttl: timedelta = timedelta(hours=24)
    roles: frozenset[str] = frozenset({"reviewer"})
    max_totp_failures: int = 5
    retention: timedelta = timedelta(days=180)
    """How long personal data of a finished (revoked or rejected) record is kept."""


@dataclass(frozen=True)
class Move:
    """One lifecycle step: the arguments of ``Core.move``, kept for ``Core.move_many``."""

    contractor: Contractor
    target: State
    actor: str
    action: str
    reason: str = ""
    details: dict[str, Any] | None = None
    approved_by: str | None = None
    username: str | None = None
    failed_totp_attempts: int | None = None
    revoked_accounts: tuple[str, ...] = ()
    checks: tuple[CheckResult, ...] | None = None


@dataclass(frozen=True)
class Core:
    """The backends and policy a lifecycle step runs against."""

    store: ContractorStore
    vault: VaultBackend
    clock: Clock
    notifier: Notifier
    policy: Policy = field(default_factory=lambda: Policy(public_url="http://localhost:8080"))
    anchors: AuditAnchors | None = None
    """Where the audit chain is anchored outside the database (``bot.core.anchoring``);
    ``None`` leaves it unanchored (tests of other concerns)."""
    metrics: Metrics = field(default_factory=NoMetrics)
    """What operators watch: enrolment outcomes, interception alerts, sweeps."""

    def entry(
        self,
        *,
        actor: str,
        action: str,
        contractor: Contractor | None = None,
        target: State | None = None,
        reason: str = "",
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """An audit entry stamped with the clock's time."""
        return AuditEntry(
            at=self.clock.now(),
            actor=actor,
            action=action,
            contractor_id=contractor.id if contractor else None,
            from_state=contractor.state.value if contractor else None,
            to_state=target.value if target else None,
            reason=reason,
            details=details or {},
        )

    def move(
        self,
        contractor: Contractor,
        target: State,
        *,
        actor: str,
        action: str,
        reason: str = "",
        details: dict[str, Any] | None = None,
        approved_by: str | None = None,
        username: str | None = None,
        failed_totp_attempts: int | None = None,
        revoked_accounts: tuple[str, ...] = (),
        checks: tuple[CheckResult, ...] | None = None,
    ) -> Contractor:
        """Check the lifecycle allows ``contractor.state -> target``, then apply it with its
        audit event (and the Vault accounts it proved gone) in one transaction. Raises
        ``IllegalTransition`` or ``StaleState`` and changes nothing in either case."""
        step = Move(
            contractor,
            target,
            actor=actor,
            action=action,
            reason=reason,
            details=details,
            approved_by=approved_by,
            username=username,
            failed_totp_attempts=failed_totp_attempts,
            revoked_accounts=revoked_accounts,
            checks=checks,
        )
        change = self._change(step)
        moved = self.store.apply(
            change.contractor_id,
            expected=change.expected,
            changes=change.changes,
            event=change.event,
        )
        _log_move(step)
        return moved

    def move_many(self, steps: Sequence[Move]) -> list[Contractor | CredbotError]:
        """``move`` for several contractors in one transaction (``ContractorStore.apply_many``),
        so a batch costs the database one commit and one audit append instead of one each.
        One outcome per step, in order: the new contractor, or the ``IllegalTransition`` /
        ``StaleState`` / ``ContractorNotFound`` that step met (it changed nothing; the others
        still apply)."""
        at = self.clock.now()  # one transaction, one moment: alike steps share a statement
        changes: list[StateChange] = []
        refused: list[CredbotError | None] = []
        for step in steps:
            try:
                changes.append(self._change(step, at=at))
                refused.append(None)
            except IllegalTransition as exc:
                refused.append(exc)
        applied = iter(self.store.apply_many(changes))
        outcomes: list[Contractor | CredbotError] = []
        for step, refusal in zip(steps, refused, strict=True):
            outcome = refusal or next(applied)
            if isinstance(outcome, Contractor):
                _log_move(step)
            outcomes.append(outcome)
        return outcomes

    def _change(self, step: Move, *, at: datetime | None = None) -> StateChange:
        """The store's change for ``step``, its event stamped ``at`` (default: now); raises
        ``IllegalTransition``."""
        ensure_transition(step.contractor.state, step.target)
        event = self.entry(
            actor=step.actor,
            action=step.action,
            contractor=step.contractor,
            target=step.target,
            reason=step.reason,
            details=step.details,
        )
        return StateChange(
            step.contractor.id,
            expected=step.contractor.state,
            changes=ContractorChanges(
                state=step.target,
                approved_by=step.approved_by,
                username=step.username,
                failed_totp_attempts=step.failed_totp_attempts,
                revoked_accounts=step.revoked_accounts,
                checks=step.checks,
            ),
            event=event if at is None else replace(event, at=at),
        )

    def record(
        self,
        contractor: Contractor,
        *,
        actor: str,
        action: str,
        reason: str = "",
        details: dict[str, Any] | None = None,
        failed_totp_attempts: int | None = None,
        checks: tuple[CheckResult, ...] | None = None,
    ) -> Contractor:
        """Change counters or check results of a contractor without a state change, audited,
        guarded by the current state (``StaleState`` if it moved on)."""
        return self.store.apply(
            contractor.id,
            expected=contractor.state,
            changes=ContractorChanges(failed_totp_attempts=failed_totp_attempts, checks=checks),
            event=self.entry(
                actor=actor, action=action, contractor=contractor, reason=reason, details=details
            ),
        )


def _log_move(step: Move) -> None:
    log.info(
        "contractor %s: %s -> %s (%s by %s)",
        step.contractor.id,
        step.contractor.state.value,
        step.target.value,
        step.action,
        step.actor,
    )
