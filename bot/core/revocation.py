"""Revocation: offboarding, finishing interrupted revocations, and destroying accounts.

``revoking`` is a durable intent: it is written *before* any Vault call, and a contractor only
becomes ``revoked`` once Vault proves nothing survives (user and TOTP key gone, no live token).
A Vault outage leaves the contractor ``revoking``; calling ``offboard`` again, or the sweep,
finishes the job. Revoking twice is a success.
"""

from __future__ import annotations

from dataclasses import asdict

from bot.core.context import Core
from bot.core.errors import RevocationPending, StaleState
from bot.core.models import Contractor, RevocationTargets
from bot.core.states import State, ensure_transition
from vault.errors import VaultError
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
    if contractor.state in NOTHING_TO_REVOKE:
        return contractor
    if contractor.state in WITHDRAWABLE:
        withdrawn = core.move(
            contractor, State.REJECTED, actor=actor, action="withdrawn", reason=reason
        )
        core.notifier.tell_requester(withdrawn, event="withdrawn", detail=reason)
        return withdrawn
    if contractor.state is not State.REVOKING:
        contractor = core.move(
            contractor, State.REVOKING, actor=actor, action="revocation_started", reason=reason
        )
    return finish_revocation(core, contractor, actor=actor)


def finish_revocation(core: Core, contractor: Contractor, *, actor: str) -> Contractor:
    """Destroy every account of a ``revoking`` contractor and mark them ``revoked``; the
    accounts are recorded as revoked in the same transaction as the state, with the proofs."""
    proofs = destroy_accounts(core, contractor, actor=actor, record=False)
    revoked = core.move(
        contractor,
        State.REVOKED,
        actor=actor,
        action="revoked",
        details={"proofs": [asdict(proof) for proof in proofs]},
        revoked_accounts=tuple(proof.username for proof in proofs),
    )
    core.notifier.tell_requester(
        revoked, event="revoked", detail="every credential was revoked and Vault confirmed it"
    )
    return revoked


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
    expired = core.move(
        contractor,
        State.EXPIRED,
        actor=actor,
        action="expired",
        reason="link unused",
        details={"proofs": [asdict(proof) for proof in proofs]},
        revoked_accounts=tuple(proof.username for proof in proofs),
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
    proofs with its own state change (``Core.move(revoked_accounts=...)``), saving a
    transaction per revocation.

    Raises ``RevocationPending`` (audited) on a Vault failure or an incomplete proof; accounts
    already proven gone stay recorded as revoked, so a retry only redoes what is left.
    """
    targets = targets or core.store.revocation_targets(contractor.id)
    if targets.live_links:
        core.store.invalidate_links(contractor.id, at=core.clock.now())
    accessors = {link.username: link.wrapping_accessor for link in targets.live_links}
    proofs = []
    for account in targets.accounts:
        try:
            proof = core.vault.revoke_account(
                username=account.username, wrapping_accessor=accessors.get(account.username)
            )
        except VaultError as exc:
            raise _pending(core, contractor, actor=actor, cause=str(exc)) from exc
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


def _pending(core: Core, contractor: Contractor, *, actor: str, cause: str) -> RevocationPending:
    core.store.append_audit(
        core.entry(actor=actor, action="revocation_pending", contractor=contractor, reason=cause)
    )
    return RevocationPending(contractor_id=contractor.id, cause=cause)
