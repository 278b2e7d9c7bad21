"""Revocation: offboarding, finishing interrupted revocations, and destroying accounts.

``revoking`` is a durable intent: it is written *before* any Vault call, and a contractor only
becomes ``revoked`` once Vault proves nothing survives (user, entity and its MFA secret gone,
no live token).
A Vault outage leaves the contractor ``revoking``; calling ``offboard`` again, or the sweep,
finishes the job. Revoking twice is a success.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict

from bot.core.changes import Change
from bot.core.context import Core
from bot.core.errors import CredbotError, RevocationPending, StaleState
from bot.core.models import Contractor, RevocationTargets
from bot.core.states import State, ensure_transition
from vault.errors import VaultError, VaultUnavailable
from vault.models import RevocationProof

WITHDRAWABLE = frozenset({State.REQUESTED, State.VERIFYING, State.AWAITING_APPROVAL})
NOTHING_TO_REVOKE = frozenset({State.REVOKED, State.REJECTED})


def offboard(core: Core, contractor_id: str, *, actor: str, reason: str) -> Contractor:
    """End a contractor's access for good.

    A request not yet approved is simply withdrawn (``rejected``). Anything else goes
    ``revoking`` first, then Vault is told, then ``revoked``. Raises ``RevocationPending`` (the
    contractor stays ``revoking``) when Vault could not finish; calling again completes it.
    """
    return offboard_contractor(
        core, core.store.get_contractor(contractor_id), actor=actor, reason=reason
    )


def offboard_contractor(
    core: Core, contractor: Contractor, *, actor: str, reason: str
) -> Contractor:
    """``offboard`` for a contractor already read (the sweep has it from its claim); a stale
    read is safe: every change is conditional on the state read."""
    (outcome,) = offboard_many(core, [(contractor, reason)], actor=actor)
    if isinstance(outcome, CredbotError):
        raise outcome
    return outcome


def offboard_many(
    core: Core, contractors: Sequence[tuple[Contractor, str]], *, actor: str
) -> list[Contractor | CredbotError]:
    """``offboard_contractor`` for several contractors, each with its reason, so a sweep
    pays for one transaction per step of the batch instead of one per contractor.

    Every contractor that needs it goes ``revoking`` (one transaction for all, which also
    reads what each must destroy) before any Vault call, then their accounts are revoked in
    Vault one contractor after the other, then those Vault proved gone go ``revoked`` (one
    transaction for all). A crash in between leaves them ``revoking``, which any later sweep
    finishes. One outcome per contractor, in order: the contractor as it is now, or the
    ``RevocationPending`` / ``StaleState`` / ``IllegalTransition`` it met (the others go on).
    """
    outcomes: list[Contractor | CredbotError | None] = [None] * len(contractors)
    starts: list[tuple[int, Change]] = []
    revoking: list[tuple[int, Contractor]] = []
    for index, (contractor, reason) in enumerate(contractors):
        if contractor.state in NOTHING_TO_REVOKE:
            outcomes[index] = contractor
        elif contractor.state in WITHDRAWABLE:
            try:
                outcomes[index] = _withdraw(core, contractor, actor=actor, reason=reason)
            except CredbotError as exc:
                outcomes[index] = exc
        elif contractor.state is State.REVOKING:
            revoking.append((index, contractor))
        else:
            starts.append(
                (
                    index,
                    Change(
                        contractor,
                        State.REVOKING,
                        actor=actor,
                        action="revocation_started",
                        reason=reason,
                    ),
                )
            )
    started, targets = core.start_revocations([step for _, step in starts])
    for (index, _), outcome in zip(starts, started, strict=True):
        if isinstance(outcome, Contractor):
            revoking.append((index, outcome))
        else:
            outcomes[index] = outcome
    finished = finish_revocations(
        core, [contractor for _, contractor in revoking], actor=actor, targets=targets
    )
    for (index, _), outcome in zip(revoking, finished, strict=True):
        outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


def finish_revocations(
    core: Core,
    contractors: Sequence[Contractor],
    *,
    actor: str,
    targets: Mapping[str, RevocationTargets] | None = None,
) -> list[Contractor | CredbotError]:
    """Destroy every account of these ``revoking`` contractors and mark those Vault proved
    gone ``revoked``, all in one transaction that also records their accounts as revoked,
    with the proofs. ``targets`` holds those already read (``Core.start_revocations``); the
    others' are read here. One outcome per contractor, in order (see ``offboard_many``)."""
    if not contractors:  # e.g. a batch of withdrawals: nothing to read or to move
        return []
    targets = dict(targets or {})
    unread = [contractor.id for contractor in contractors if contractor.id not in targets]
    if unread:
        targets.update(core.store.revocation_targets_of(unread))
    outcomes: list[Contractor | CredbotError] = []
    proven: list[tuple[int, Change]] = []
    for contractor in contractors:
        try:
            proofs = destroy_accounts(
                core, contractor, actor=actor, record=False, targets=targets[contractor.id]
            )
        except RevocationPending as exc:
            outcomes.append(exc)
            continue
        proven.append(
            (
                len(outcomes),
                Change(
                    contractor,
                    State.REVOKED,
                    actor=actor,
                    action="revoked",
                    details={"proofs": [asdict(proof) for proof in proofs]},
                    revoked_accounts=tuple(proof.username for proof in proofs),
                ),
            )
        )
        outcomes.append(contractor)  # replaced by the move's outcome below
    for (index, _), outcome in zip(proven, core.apply_many([s for _, s in proven]), strict=True):
        outcomes[index] = outcome
        if isinstance(outcome, Contractor):
            core.notifier.tell_requester(
                outcome,
                event="revoked",
                detail="every credential was revoked and Vault confirmed it",
            )
    return outcomes


def _withdraw(core: Core, contractor: Contractor, *, actor: str, reason: str) -> Contractor:
    """A request not yet approved has nothing in Vault: it is simply ``rejected``."""
    withdrawn = core.apply(
        Change(contractor, State.REJECTED, actor=actor, action="withdrawn", reason=reason)
    )
    core.notifier.tell_requester(withdrawn, event="withdrawn", detail=reason)
    return withdrawn


def expire(core: Core, contractor: Contractor, *, actor: str) -> Contractor:
    """An issued link ran out unused: destroy the account, move to ``expired``.

    Checked again here, not only when the sweep planned it: if the contractor opened the link
    meanwhile (or was moved on), ``StaleState``/``IllegalTransition`` and nothing is destroyed.
    """
    ensure_transition(contractor.state, State.EXPIRED)
    targets = core.store.revocation_targets(contractor.id)
    now = core.clock.now()
    if not targets.live_links or any(link.expires_at > now for link in targets.live_links):
        raise StaleState(contractor_id=contractor.id, expected="issued with an expired link")
    proofs = destroy_accounts(core, contractor, actor=actor, record=False, targets=targets)
    expired = core.apply(
        Change(
            contractor,
            State.EXPIRED,
            actor=actor,
            action="expired",
            reason="link unused",
            details={"proofs": [asdict(proof) for proof in proofs]},
            revoked_accounts=tuple(proof.username for proof in proofs),
        )
    )
    core.notifier.tell_requester(expired, event="expired", detail="use reissue to send a new link")
    return expired


def destroy_accounts(
    core: Core,
    contractor: Contractor,
    *,
    actor: str,
    record: bool = True,
    targets: RevocationTargets | None = None,
) -> list[RevocationProof]:
    """Revoke every not-yet-revoked Vault account of the contractor, with proof, and make its
    unused links unusable (``targets`` when the caller already read them). With ``record``
    each account is recorded as revoked (and audited) at once; without, the caller records the
    proofs with its own state change (``Change.revoked_accounts``), saving a
    transaction per revocation.

    Raises ``RevocationPending`` (audited) on a Vault failure or an incomplete proof; accounts
    already proven gone stay recorded as revoked, so a retry only redoes what is left.
    """
    targets = targets or core.store.revocation_targets(contractor.id)
    if targets.live_links:
        core.store.invalidate_links(contractor.id, at=core.clock.now())
    proofs = []
    for account in targets.accounts:
        try:
            proof = core.vault.revoke_account(
                username=account.username,
                legacy_totp_key=account.second_factor == "totp_engine",
            )
        except VaultError as exc:
            raise _pending(
                core,
                contractor,
                actor=actor,
                cause=str(exc),
                vault_unreachable=isinstance(exc, VaultUnavailable),
            ) from exc
        if not proof.complete:
            raise _pending(core, contractor, actor=actor, cause=f"Vault still reports {proof}")
        proofs.append(proof)
        if not record:
            continue
        core.store.mark_account_revoked(
            account.username,
            at=core.clock.now(),
            event=core.entry(
                actor=actor, action="account_revoked", contractor=contractor, details=asdict(proof)
            ),
        )
    return proofs


def _pending(
    core: Core, contractor: Contractor, *, actor: str, cause: str, vault_unreachable: bool = False
) -> RevocationPending:
    core.store.append_audit(
        core.entry(actor=actor, action="revocation_pending", contractor=contractor, reason=cause)
    )
    return RevocationPending(
        contractor_id=contractor.id, cause=cause, vault_unreachable=vault_unreachable
    )
