"""Issue (and reissue) a contractor's Vault account and one-time link.

Order matters for "nothing half-made survives": the username is recorded in the database
*before* Vault is called, so a crash mid-issue leaves a record a sweep can find; a Vault failure
is cleaned up on the spot when Vault allows, and the contractor stays where they were, so a
retry simply issues again under a fresh username (usernames are never reused).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime

from bot.core import links
from bot.core.changes import Change
from bot.core.context import Core
from bot.core.errors import IssueFailed, StaleState
from bot.core.models import Contractor, LinkRecord, VaultAccountRecord
from bot.core.revocation import destroy_accounts
from bot.core.states import State, ensure_transition
from vault.errors import VaultError
from vault.layout import USERNAME_PREFIX

log = logging.getLogger("credbot.core.issuing")


@dataclass(frozen=True)
class IssuedLink:
    """The result of issuing: the contractor and their link (the URL carries the secret)."""

    contractor: Contractor
    url: str = field(repr=False)
    code: str = field(repr=False)
    expires_at: datetime


def new_username() -> str:
    """A Vault userpass username: ``ctr-`` and 64 random bits, lower-case (Vault folds case)."""
    return f"{USERNAME_PREFIX}{secrets.token_hex(8)}"


def issue(core: Core, contractor_id: str, *, actor: str, reason: str = "") -> IssuedLink:
    """Create the contractor's account in Vault and DM them a one-time link.

    Works from ``approved`` (first issue) and, as a reissue, from ``issued``, ``active``,
    ``expired`` and ``locked``: the previous account is destroyed first, so old password, TOTP
    seed and link all die; ``reason`` says why in the audit trail. Raises ``IllegalTransition``
    from other states, ``IssueFailed`` when
    Vault fails (nothing half-made survives, a retry works), ``RevocationPending`` when the old
    account of a reissue could not be destroyed (nothing new was issued).
    """
    contractor = core.store.get_contractor(contractor_id)
    ensure_transition(contractor.state, State.ISSUED)
    reissue = contractor.state is not State.APPROVED
    if reissue:
        destroy_accounts(core, contractor, actor=actor)

    username = new_username()
    now = core.clock.now()
    core.store.add_account(
        VaultAccountRecord(username=username, contractor_id=contractor.id, created_at=now)
    )
    try:
        account = core.vault.issue_account(username=username, wrap_ttl=core.policy.link_ttl)
    except VaultError as exc:
        _clean_up(core, contractor, username)
        core.store.append_audit(
            core.entry(
                actor=actor,
                action="issue_failed",
                contractor=contractor,
                reason=str(exc),
                details={"username": username},
            )
        )
        raise IssueFailed(contractor_id=contractor.id, cause=str(exc)) from exc

    secret = links.LinkSecret.generate()
    code = links.new_confirmation_code()
    expires_at = min(now + core.policy.link_ttl, account.wrap_expires_at)
    core.store.add_link(
        LinkRecord(
            link_hash=secret.hash,
            contractor_id=contractor.id,
            username=username,
            sealed_delivery=links.seal_delivery(secret.value, account.delivery),
            wrapping_accessor=account.wrapping_accessors[0],
            mfa_wrapping_accessor=account.wrapping_accessors[1],
            confirmation_digest=links.confirmation_digest(secret.value, code),
            created_at=now,
            expires_at=expires_at,
        )
    )
    try:
        issued = core.apply(
            Change(
                contractor,
                State.ISSUED,
                actor=actor,
                action="reissued" if reissue else "issued",
                reason=reason,
                username=username,
                failed_totp_attempts=0,
                details={"username": username, "link_expires_at": expires_at.isoformat()},
            )
        )
    except StaleState:
        _clean_up(core, contractor, username)
        raise
    url = secret.url(core.policy.public_url)
    core.notifier.send_link(issued, url=url, code=code)
    core.notifier.tell_requester(
        issued, event="issued", detail=f"link valid until {expires_at:%Y-%m-%d %H:%M} UTC"
    )
    return IssuedLink(contractor=issued, url=url, code=code, expires_at=expires_at)


def _clean_up(core: Core, contractor: Contractor, username: str) -> None:
    """Best-effort removal of a half-made account. If Vault is down, the unrevoked account
    record stays in the database and the sweep finishes the job."""
    try:
        proof = core.vault.revoke_account(username=username)
    except VaultError as exc:
        log.warning("could not clean up half-issued account %s: %s", username, exc)
        return
    if proof.complete:
        core.store.mark_account_revoked(
            username,
            at=core.clock.now(),
            event=core.entry(
                actor="credbot",
                action="account_revoked",
                contractor=contractor,
                reason="half-issued account removed",
                details=asdict(proof),
            ),
        )
