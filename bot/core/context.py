"""What every lifecycle step needs, bundled once, and the one way a step changes state.

``Core`` is built in ``bot.wiring`` from concrete backends; the doors (CLI, Slack, web) only hold
a ``Core`` and call the functions of ``bot.core.onboarding``, ``issuing``, ``enrolment`` and
``revocation`` with it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.core.interfaces import Clock, ContractorStore, Notifier, VaultBackend
from bot.core.models import AuditEntry, CheckResult, Contractor, ContractorChanges
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
class Core:
    """The backends and policy a lifecycle step runs against."""

    store: ContractorStore
    vault: VaultBackend
    clock: Clock
    notifier: Notifier
    policy: Policy = field(default_factory=lambda: Policy(public_url="http://localhost:8080"))

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
        ensure_transition(contractor.state, target)
        moved = self.store.apply(
            contractor.id,
            expected=contractor.state,
            changes=ContractorChanges(
                state=target,
                approved_by=approved_by,
                username=username,
                failed_totp_attempts=failed_totp_attempts,
                revoked_accounts=revoked_accounts,
                checks=checks,
            ),
            event=self.entry(
                actor=actor,
                action=action,
                contractor=contractor,
                target=target,
                reason=reason,
                details=details,
            ),
        )
        log.info(
            "contractor %s: %s -> %s (%s by %s)",
            contractor.id,
            contractor.state.value,
            target.value,
            action,
            actor,
        )
        return moved

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
