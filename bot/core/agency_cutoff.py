"""Cutting a whole agency off: two admins agree, then everyone at its email domain loses access.

One admin asks (``request_cutoff``: nothing changes but a ``pending`` record, and the preview
says who would be affected); a second admin confirms (``confirm_cutoff``: the requester never
can, and a second confirmation changes nothing); from that moment new requests for the domain
are refused (``ensure_not_blocked``, called by ``onboarding.request_onboarding``). Then
``carry_out`` revokes every live contractor at the domain through the sweep's batched path
(``bot.core.sweep.act_on_all``: claims, batches, workers, progress), which also rejects
onboardings still in flight, and returns the receipt. Running ``carry_out`` again finishes
what an outage or a crash left; ``lift_block`` ends the block. Every step is audited.

A second pass in ``carry_out`` catches a request that was stored in the instant between the
confirmation and the first listing (its block check ran just before the block existed).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.agencies import (
    AgencyCutoff,
    AgencyCutoffs,
    CutoffDecided,
    CutoffOpen,
    CutoffStatus,
    DomainBlocked,
    NoAgencyStore,
    NobodyAtDomain,
    NotBlocked,
    UnknownDomain,
    email_domain,
    parse_domain,
)
from bot.core.context import Core
from bot.core.errors import NotAllowed
from bot.core.models import AuditEntry, Contractor
from bot.core.states import FINAL_STATES, LIVE_STATES, State
from bot.core.sweep import Progress, SweepItem, SweepOptions, act_on_all

ONBOARDING_STATES = frozenset({State.REQUESTED, State.VERIFYING, State.AWAITING_APPROVAL})
"""Requests not approved yet: a cut-off rejects them (nothing is in Vault)."""
PASSES = 3
"""How often ``carry_out`` lists the domain again for contractors that appeared meanwhile."""


@dataclass(frozen=True)
class Preview:
    """Who a cut-off of ``domain`` would affect now, oldest first."""

    domain: str
    affected: tuple[Contractor, ...]

    @property
    def onboarding(self) -> list[Contractor]:
        """Requests still in flight: they would be rejected."""
        return [c for c in self.affected if c.state in ONBOARDING_STATES]

    @property
    def with_access(self) -> list[Contractor]:
        """Approved or later: their accounts would be revoked."""
        return [c for c in self.affected if c.state not in ONBOARDING_STATES]


@dataclass
class Receipt:
    """What a cut-off did: who was revoked (each proven gone in Vault: a contractor only
    becomes ``revoked`` with Vault's proof), whose request was rejected, who is still
    pending (by name, with why)."""

    cutoff: AgencyCutoff
    revoked: list[Contractor] = field(default_factory=list)
    rejected: list[Contractor] = field(default_factory=list)
    pending: list[tuple[Contractor, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Nobody at the domain holds or awaits access any more."""
        return not self.pending


def agencies_of(core: Core) -> AgencyCutoffs:
    """The core's cut-off store; ``NoAgencyStore`` when this process was built without one."""
    if core.agencies is None:
        raise NoAgencyStore("this credbot process has no agency cut-off store")
    return core.agencies


def cutoffs(core: Core, *, open_only: bool) -> list[AgencyCutoff]:
    """The agency cut-offs admins watch: open ones (awaiting a second admin, or blocking
    their domain) or, without ``open_only``, also the cancelled and lifted ones; newest
    first."""
    return agencies_of(core).cutoffs(open_only=open_only)


def preview(core: Core, domain: str) -> Preview:
    """Who a cut-off of ``domain`` would affect. Raises ``InvalidDomain``, ``UnknownDomain``
    (no contractor was ever there: a typo?) or ``NobodyAtDomain`` (nobody live)."""
    domain = parse_domain(domain)
    everyone = agencies_of(core).at_domain(domain)
    if not everyone:
        raise UnknownDomain(domain)
    affected = tuple(c for c in everyone if c.state in LIVE_STATES)
    if not affected:
        raise NobodyAtDomain(domain, finished=len(everyone))
    return Preview(domain=domain, affected=affected)


def request_cutoff(
    core: Core, domain: str, *, actor: str, reason: str
) -> tuple[AgencyCutoff, Preview]:
    """Record an admin's request to cut ``domain`` off (``pending``), audited, and return it
    with the preview. Changes nothing else: a second admin must confirm. Raises
    ``InvalidDomain``, ``UnknownDomain``, ``NobodyAtDomain``, ``NotAllowed`` (no reason) or
    ``CutoffOpen`` (one is waiting or in force already)."""
    reason = reason.strip()
    if not reason:
        raise NotAllowed("a cut-off needs a reason: it goes into the audit trail")
    agencies = agencies_of(core)
    open_now = agencies.open_cutoff(parse_domain(domain))
    if open_now is not None:
        raise CutoffOpen(open_now)
    found = preview(core, domain)
    cutoff = AgencyCutoff(
        id=uuid.uuid4().hex,
        domain=found.domain,
        reason=reason,
        requested_by=actor,
        requested_at=core.clock.now(),
    )
    event = _event(
        core,
        cutoff,
        actor=actor,
        action="agency_cutoff_requested",
        reason=reason,
        with_access=len(found.with_access),
        onboarding=len(found.onboarding),
    )
    return agencies.add_cutoff(cutoff, event=event), found


def confirm_cutoff(core: Core, cutoff_id: str, *, actor: str) -> AgencyCutoff:
    """A second admin agrees: the cut-off is ``blocking`` from now on (new requests for the
    domain are refused). Raises ``NotAllowed`` for the admin who asked, ``CutoffDecided``
    when it was confirmed (or cancelled) already: nothing changes then."""
    return _decide(
        core, cutoff_id, actor=actor, status="blocking", action="agency_cutoff_confirmed"
    )


def cancel_cutoff(core: Core, cutoff_id: str, *, actor: str) -> AgencyCutoff:
    """Drop a cut-off nobody confirmed (any admin, the requester too); ``CutoffDecided`` when
    it is no longer pending."""
    return _decide(
        core, cutoff_id, actor=actor, status="cancelled", action="agency_cutoff_cancelled"
    )


def _decide(
    core: Core, cutoff_id: str, *, actor: str, status: CutoffStatus, action: str
) -> AgencyCutoff:
    """Move a ``pending`` cut-off to ``status`` (the store's conditional update settles two
    clicks at once: the loser gets ``CutoffDecided``)."""
    agencies = agencies_of(core)
    cutoff = agencies.get_cutoff(cutoff_id)
    if cutoff.status != "pending":
        raise CutoffDecided(cutoff)
    if status == "blocking" and actor == cutoff.requested_by:
        raise NotAllowed("the admin who asked for a cut-off cannot confirm it; a second admin must")
    return agencies.decide_cutoff(
        cutoff.id,
        expected="pending",
        status=status,
        actor=actor,
        at=core.clock.now(),
        event=_event(core, cutoff, actor=actor, action=action, reason=cutoff.reason),
    )


def carry_out(
    core: Core,
    cutoff: AgencyCutoff,
    *,
    options: SweepOptions,
    progress: Progress | None = None,
) -> Receipt:
    """Revoke (or reject) every live contractor at the cut-off's domain through the sweep's
    batched path, report ``progress(done, total)``, and return the receipt, audited
    (``agency_cutoff_receipt``). Safe to run again: contractors already done are skipped.
    Raises ``CutoffDecided`` unless the cut-off is ``blocking``."""
    agencies = agencies_of(core)
    current = agencies.get_cutoff(cutoff.id)
    if current.status != "blocking":
        raise CutoffDecided(current)
    reason = f"agency {current.domain} cut off: {current.reason}"
    acted: dict[str, SweepItem] = {}
    for _ in range(PASSES):
        items = [
            SweepItem(c.id, c.slack_user_id, "agency_cut_off", reason=reason)
            for c in _live_at(agencies, current.domain)
            if c.id not in acted  # one try each: what stays pending is on the receipt
        ]
        if not items:
            break
        act_on_all(core, options, items, progress)
        acted.update((item.contractor_id, item) for item in items)
        progress = None  # later passes catch stragglers; the bar has shown the run
    receipt = _receipt(current, agencies.at_domain(current.domain), acted)
    core.store.append_audit(
        _event(
            core,
            current,
            actor=options.worker,
            action="agency_cutoff_receipt",
            reason=reason,
            revoked=len(receipt.revoked),
            rejected=len(receipt.rejected),
            pending=[c.id for c, _ in receipt.pending],
        )
    )
    return receipt


def _live_at(agencies: AgencyCutoffs, domain: str) -> list[Contractor]:
    return [c for c in agencies.at_domain(domain) if c.state in LIVE_STATES]


def _receipt(
    cutoff: AgencyCutoff, everyone: Sequence[Contractor], acted: dict[str, SweepItem]
) -> Receipt:
    receipt = Receipt(cutoff=cutoff)
    for contractor in everyone:
        item = acted.get(contractor.id)
        if contractor.state not in FINAL_STATES:
            why = item.detail if item is not None and item.detail else contractor.state.value
            receipt.pending.append((contractor, why))
        elif item is not None and item.outcome == "done":
            target = receipt.revoked if contractor.state is State.REVOKED else receipt.rejected
            target.append(contractor)
    return receipt


def lift_block(core: Core, domain: str, *, actor: str, reason: str) -> AgencyCutoff:
    """End the block on ``domain``: requests for it are possible again (each still goes
    through the checks and an approver). Raises ``InvalidDomain``, ``NotAllowed`` without a
    reason, ``NotBlocked`` when no cut-off is in force (one still pending is cancelled with
    its card instead)."""
    if not reason.strip():
        raise NotAllowed("lifting a block needs a reason: it goes into the audit trail")
    domain = parse_domain(domain)
    agencies = agencies_of(core)
    cutoff = agencies.open_cutoff(domain)
    if cutoff is None or cutoff.status != "blocking":
        raise NotBlocked(domain)
    return agencies.decide_cutoff(
        cutoff.id,
        expected="blocking",
        status="lifted",
        actor=actor,
        at=core.clock.now(),
        event=_event(
            core, cutoff, actor=actor, action="agency_block_lifted", reason=reason.strip()
        ),
    )


def _event(
    core: Core, cutoff: AgencyCutoff, *, actor: str, action: str, reason: str, **details: object
) -> AuditEntry:
    """An audit entry about ``cutoff`` (its id and domain in the details, with ``details``)."""
    return core.entry(
        actor=actor,
        action=action,
        reason=reason,
        details={"cutoff_id": cutoff.id, "domain": cutoff.domain, **details},
    )


def ensure_not_blocked(core: Core, email: str) -> None:
    """Raise ``DomainBlocked`` when ``email``'s domain is cut off (confirmed, not lifted).
    A core built without the cut-off store blocks nothing (tests of other concerns)."""
    if core.agencies is None:
        return
    cutoff = core.agencies.open_cutoff(email_domain(email))
    if cutoff is not None and cutoff.status == "blocking":
        raise DomainBlocked(cutoff)
