"""What every lifecycle step needs, bundled once, and the one way a step changes state
(``Core.apply`` of a ``bot.core.changes.Change``).

``Core`` is built in ``bot.wiring`` from concrete backends; the doors (CLI, Slack, web) only hold
a ``Core`` and call the functions of ``bot.core.onboarding``, ``issuing``, ``enrolment`` and
``revocation`` with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.agencies import AgencyCutoffs
from bot.core.changes import Change
from bot.core.errors import ChangeRefused, CredbotError, IllegalTransition
from bot.core.interfaces import AuditAnchors, Clock, Metrics, NoMetrics, Notifier, VaultBackend
from bot.core.models import AuditEntry, Contractor, RevocationTargets
from bot.core.states import State, ensure_transition
from bot.core.stores import Store

log = logging.getLogger("credbot.core")

Applied = Contractor | ChangeRefused
"""A store's outcome of one change: the new row, or why it was not applied."""
Targets = dict[str, RevocationTargets]
"""What revoking each contractor moved must destroy, by id."""


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
class Core:
    """The backends and policy a lifecycle step runs against."""

    store: Store
    vault: VaultBackend
    clock: Clock
    notifier: Notifier
    policy: Policy = field(default_factory=lambda: Policy(public_url="http://localhost:8080"))
    anchors: AuditAnchors | None = None
    """Where the audit chain is anchored outside the database (``bot.core.anchoring``);
    ``None`` leaves it unanchored (tests of other concerns)."""
    metrics: Metrics = field(default_factory=NoMetrics)
    """What operators watch: enrolment outcomes, interception alerts, sweeps."""
    agencies: AgencyCutoffs | None = None
    """Agency cut-offs (``bot.core.agency_cutoff``); ``None``: no domain is ever blocked and
    cut-offs are refused (tests of other concerns)."""

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

    def apply(self, change: Change) -> Contractor:
        """Check the lifecycle allows the change's step (when it changes the state), then
        apply it with its audit event (and the Vault accounts it proved gone) in one
        transaction. Raises ``IllegalTransition`` or ``StaleState`` and changes nothing in
        either case."""
        _ensure_allowed(change)
        applied = self.store.apply(change, at=self.clock.now())
        _log_move(change)
        return applied

    def apply_many(self, changes: Sequence[Change]) -> list[Contractor | CredbotError]:
        """``apply`` for several contractors in one transaction (``Store.apply_many``), so a
        batch costs the database one commit and one audit append instead of one each. One
        outcome per change, in order: the new contractor, or the ``IllegalTransition`` /
        ``StaleState`` / ``ContractorNotFound`` that change met (it changed nothing; the
        others still apply)."""
        outcomes, _ = self._apply_allowed(
            changes, lambda allowed, at: (self.store.apply_many(allowed, at=at), {})
        )
        return outcomes

    def start_revocations(
        self, changes: Sequence[Change]
    ) -> tuple[list[Contractor | CredbotError], dict[str, RevocationTargets]]:
        """``apply_many`` of moves to ``revoking``, and in the same transaction, after them,
        the accounts and links to revoke of the contractors moved
        (``Store.start_revocations``)."""
        return self._apply_allowed(
            changes, lambda allowed, at: self.store.start_revocations(allowed, at=at)
        )

    def _apply_allowed(
        self,
        changes: Sequence[Change],
        apply: Callable[[list[Change], datetime], tuple[Sequence[Applied], Targets]],
    ) -> tuple[list[Contractor | CredbotError], Targets]:
        """The changes the lifecycle allows handed to ``apply`` (one store transaction, at
        one moment: alike changes share a statement), one outcome per change in order."""
        allowed: list[Change] = []
        refused: list[CredbotError | None] = []
        for change in changes:
            try:
                _ensure_allowed(change)
                allowed.append(change)
                refused.append(None)
            except IllegalTransition as exc:
                refused.append(exc)
        results, targets = apply(allowed, self.clock.now())
        applied = iter(results)
        outcomes: list[Contractor | CredbotError] = []
        for change, refusal in zip(changes, refused, strict=True):
            outcome = refusal or next(applied)
            if isinstance(outcome, Contractor):
                _log_move(change)
            outcomes.append(outcome)
        return outcomes, targets


def _ensure_allowed(change: Change) -> None:
    """Raise ``IllegalTransition`` unless the lifecycle allows the change's step (a change
    that keeps the state is always allowed)."""
    if change.state is not None:
        ensure_transition(change.contractor.state, change.state)


def _log_move(change: Change) -> None:
    if change.state is None:
        return
    log.info(
        "contractor %s: %s -> %s (%s by %s)",
        change.contractor.id,
        change.contractor.state.value,
        change.state.value,
        change.action,
        change.actor,
    )
