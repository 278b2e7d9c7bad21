"""What the contractor does with the link: reveal the secrets once, then prove a TOTP code.

Both steps are keyed by the link secret itself (the page keeps it from the URL fragment), so
only whoever holds the link can enrol, and no separate session is needed.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Literal, NoReturn

from bot.core import links
from bot.core.context import Core
from bot.core.errors import (
    ConfirmationRejected,
    EnrolmentLocked,
    InvalidRequest,
    LinkNotFound,
    LinkUnusable,
    PossibleInterception,
    TotpRejected,
    TotpReused,
)
from bot.core.models import Contractor, LinkRecord
from bot.core.revocation import destroy_accounts
from bot.core.states import State
from vault.errors import TotpCodeReused, VaultUnavailable, WrappingTokenRejected
from vault.models import AccountSecrets

LINK_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")
TOTP_CODE = re.compile(r"^[0-9]{6}$")


MAX_CONFIRMATION_FAILURES = 5

LinkStatus = Literal["ready", "revealed"]


def link_status(core: Core, secret: str) -> LinkStatus:
    """Say what the link can do now, consuming and counting nothing (the page asks on load).

    ``"ready"``: it can be revealed (with the confirmation code). ``"revealed"``: the secrets
    were shown, the TOTP proof is still open. Raises ``LinkNotFound`` or ``LinkUnusable`` like
    ``reveal`` would.
    """
    try:
        _usable_link(core, secret)
    except LinkUnusable as exc:
        if exc.why != "used":
            raise
        _usable_link(core, secret, revealed=True)
        return "revealed"
    return "ready"


def reveal(core: Core, secret: str, code: str) -> AccountSecrets:
    """Check the confirmation code, claim the link (atomically, once) and unwrap the
    contractor's secrets from Vault.

    Raises ``LinkNotFound`` (unknown or malformed), ``LinkUnusable`` (used, expired,
    invalidated, locked), ``InvalidRequest`` for a code that cannot be one (empty, wrong length
    or characters: not counted, so a crawler filling forms with junk burns nothing),
    ``ConfirmationRejected`` with the tries left (after
    ``MAX_CONFIRMATION_FAILURES`` the link is invalidated), ``PossibleInterception`` when Vault
    refuses a wrapping token nobody here has unwrapped (audited, admins alerted), and
    ``VaultUnavailable`` when Vault does not answer (the claim is undone: the link still works).
    """
    link, contractor = _usable_link(core, secret)
    if not links.is_confirmation_code(code):
        raise InvalidRequest(field="code", problem="enter the 6-character code from Slack")
    if not links.code_matches(secret, code, link.confirmation_digest):
        _count_wrong_confirmation(core, link, contractor)
    now = core.clock.now()
    if link.claimed_at is not None or not core.store.claim_link(link.link_hash, now=now):
        raise LinkUnusable("used")
    wrapping_token = links.unseal(secret, link.sealed_wrapping_token)
    try:
        secrets = core.vault.unwrap_account(username=link.username, wrapping_token=wrapping_token)
    except WrappingTokenRejected as exc:
        core.store.append_audit(
            core.entry(
                actor="credbot",
                action="possible_interception",
                contractor=contractor,
                reason=str(exc),
                details={"username": link.username, "wrapping_accessor": link.wrapping_accessor},
            )
        )
        core.notifier.alert_admins(
            summary=(
                f"The credentials of {link.username} could not be unwrapped for the contractor:"
                f" {exc}. Someone else may have opened them. Offboard or reissue now."
            ),
            contractor=contractor,
        )
        raise PossibleInterception(str(exc)) from exc
    except VaultUnavailable:
        # Vault did not answer, so (unless only its answer was lost, which the next try
        # reports as a possible interception) nothing was unwrapped: an outage must not burn
        # the link.
        core.store.release_link(link.link_hash, claimed_at=now)
        raise
    core.store.append_audit(
        core.entry(
            actor=contractor.slack_user_id,
            action="link_revealed",
            contractor=contractor,
            details={"username": link.username},
        )
    )
    return secrets


def confirm_code(core: Core, secret: str, code: str) -> Contractor:
    """Check the contractor's first TOTP code; a valid one activates the account.

    Raises ``InvalidRequest`` for a malformed code (no attempt counted), ``TotpReused``,
    ``TotpRejected`` with the tries left, ``EnrolmentLocked`` after too many failures (the Vault
    account is destroyed; a manager must reissue).
    """
    _, contractor = _usable_link(core, secret, revealed=True)
    code = code.strip().replace(" ", "")
    if not TOTP_CODE.match(code):
        raise InvalidRequest(field="code", problem="enter the 6 digits your app shows")
    assert contractor.username is not None  # guaranteed by _usable_link
    try:
        valid = core.vault.check_totp(username=contractor.username, code=code)
    except TotpCodeReused as exc:
        raise TotpReused() from exc
    if valid:
        core.vault.activate_account(username=contractor.username, role=contractor.role)
        active = core.move(
            contractor,
            State.ACTIVE,
            actor=contractor.slack_user_id,
            action="activated",
            details={"username": contractor.username},
        )
        core.notifier.tell_requester(active, event="active", detail="TOTP proven, access on")
        return active
    failures = contractor.failed_totp_attempts + 1
    if failures >= core.policy.max_totp_failures:
        proofs = destroy_accounts(core, contractor, actor="credbot", record=False)
        locked = core.move(
            contractor,
            State.LOCKED,
            actor="credbot",
            action="locked",
            reason=f"{failures} wrong TOTP codes",
            failed_totp_attempts=failures,
            details={"proofs": [asdict(proof) for proof in proofs]},
            revoked_accounts=tuple(proof.username for proof in proofs),
        )
        core.notifier.tell_requester(locked, event="locked", detail="too many wrong codes")
        raise EnrolmentLocked()
    core.record(
        contractor,
        actor=contractor.slack_user_id,
        action="totp_failed",
        failed_totp_attempts=failures,
    )
    raise TotpRejected(tries_left=core.policy.max_totp_failures - failures)


def _count_wrong_confirmation(core: Core, link: LinkRecord, contractor: Contractor) -> NoReturn:
    """Count a wrong confirmation code; invalidate the link after too many."""
    failures = core.store.record_failed_confirmation(link.link_hash)
    if failures < MAX_CONFIRMATION_FAILURES:
        raise ConfirmationRejected(tries_left=MAX_CONFIRMATION_FAILURES - failures)
    core.store.invalidate_links(contractor.id, at=core.clock.now())
    core.store.append_audit(
        core.entry(
            actor="credbot",
            action="link_locked",
            contractor=contractor,
            reason=f"{failures} wrong confirmation codes",
            details={"username": link.username},
        )
    )
    core.notifier.tell_requester(
        contractor, event="link locked", detail="too many wrong confirmation codes; reissue"
    )
    raise LinkUnusable("locked")


def _usable_link(
    core: Core, secret: str, *, revealed: bool = False
) -> tuple[LinkRecord, Contractor]:
    """Find the link and its contractor, or say why it cannot be used (without consuming it)."""
    if not LINK_SECRET.match(secret):
        raise LinkNotFound()
    link = core.store.get_link(links.link_hash(secret))
    if link is None:
        raise LinkNotFound()
    contractor = core.store.get_contractor(link.contractor_id)
    if link.failed_confirmations >= MAX_CONFIRMATION_FAILURES:
        raise LinkUnusable("locked")
    if link.invalidated_at is not None or contractor.username != link.username:
        raise LinkUnusable("invalidated")
    if contractor.state is State.LOCKED:
        raise LinkUnusable("locked")
    if contractor.state is State.ACTIVE or (link.claimed_at is not None and not revealed):
        raise LinkUnusable("used")
    if contractor.state is not State.ISSUED:
        raise LinkUnusable("invalidated")
    if revealed and link.claimed_at is None:
        raise LinkUnusable("not revealed yet")
    if not revealed and link.expires_at <= core.clock.now():
        raise LinkUnusable("expired")
    return link, contractor
