"""What the contractor does with the link: reveal the secrets once, then prove a first login.

Both steps are keyed by the link secret itself (the page keeps it from the URL fragment). The
proof step also needs the token the reveal handed back, so only the browser that revealed can
take it: someone holding only the URL can neither try codes nor burn the link.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Literal, NoReturn

from bot.core import links
from bot.core.changes import Change
from bot.core.context import Core
from bot.core.errors import (
    ConfirmationRejected,
    EnrolmentLocked,
    InvalidRequest,
    LinkNotFound,
    LinkUnusable,
    PasswordRejected,
    PossibleInterception,
    ProofNotBound,
    StaleState,
    TotpRejected,
)
from bot.core.models import Contractor, LinkRecord
from bot.core.revocation import destroy_accounts
from bot.core.states import State
from vault.errors import LoginRefused, MfaCodeRejected, VaultUnavailable, WrappingTokenRejected
from vault.models import AccountSecrets

LINK_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")
TOTP_CODE = re.compile(r"^[0-9]{6}$")


MAX_CONFIRMATION_FAILURES = 5

LinkStatus = Literal["ready", "revealed"]


@dataclass(frozen=True)
class Revealed:
    """What a reveal hands the page: the secrets (shown once) and the proof token the page
    must send back with the first login."""

    secrets: AccountSecrets
    proof_token: str = field(repr=False)


def link_status(core: Core, secret: str) -> LinkStatus:
    """Say what the link can do now, consuming and counting nothing (the page asks on load).

    ``"ready"``: it can be revealed (with the confirmation code). ``"revealed"``: the secrets
    were shown, the first login is still to prove. Raises ``LinkNotFound`` or ``LinkUnusable``
    like ``reveal`` would.
    """
    try:
        _usable_link(core, secret)
    except LinkUnusable as exc:
        if exc.why != "used":
            raise
        _usable_link(core, secret, revealed=True)
        return "revealed"
    return "ready"


def reveal(core: Core, secret: str, code: str) -> Revealed:
    """Check the confirmation code, claim the link (atomically, once) and unwrap the
    contractor's password and MFA secret from Vault.

    Raises ``LinkNotFound`` (unknown or malformed), ``LinkUnusable`` (used, expired,
    invalidated, locked), ``InvalidRequest`` for a code that cannot be one (empty, wrong length
    or characters: not counted, so a crawler filling forms with junk burns nothing),
    ``ConfirmationRejected`` with the tries left (at ``MAX_CONFIRMATION_FAILURES`` the link is
    invalidated in the same step), ``PossibleInterception`` when Vault refuses a wrapping token
    nobody here has unwrapped or one made elsewhere (audited, admins alerted), and
    ``VaultUnavailable`` when Vault does not answer (the claim is undone: the link still works).
    """
    link, contractor = _usable_link(core, secret)
    if not links.is_confirmation_code(code):
        raise InvalidRequest(field="code", problem="enter the 6-character code from Slack")
    if not links.code_matches(secret, code, link.confirmation_digest):
        _count_wrong_confirmation(core, link, contractor)
    now = core.clock.now()
    proof_token = links.new_proof_token()
    claimed = core.store.claim_link(
        link.link_hash,
        now=now,
        proof_digest=links.proof_digest(secret, proof_token),
        max_failures=MAX_CONFIRMATION_FAILURES,
    )
    if link.claimed_at is not None or not claimed:
        raise LinkUnusable("used")
    delivery = links.unseal_delivery(secret, link.sealed_delivery)
    try:
        secrets = core.vault.unwrap_account(username=link.username, delivery=delivery)
    except WrappingTokenRejected as exc:
        _report_interception(core, link, contractor, exc)
        core.metrics.enrolment("interception")
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
    core.metrics.enrolment("revealed")
    return Revealed(secrets=secrets, proof_token=proof_token)


def prove_first_login(core: Core, secret: str, proof: str, password: str, code: str) -> Contractor:
    """Log in to Vault as the contractor once, with the password they saved and a code from
    their app (Vault's login MFA checks it); on success end that token, switch the account to
    its role and make the contractor ``active``.

    ``proof`` is the token ``reveal`` handed back; without it nothing is tried or counted
    (``ProofNotBound``). Raises ``InvalidRequest`` for a malformed password or code (not
    counted), ``PasswordRejected`` / ``TotpRejected`` with the tries left (each failure counted
    atomically), ``EnrolmentLocked`` at ``Policy.max_totp_failures`` failures (the Vault
    account is destroyed; a manager must reissue), and ``VaultUnavailable`` when Vault does not
    answer (nothing counted; the contractor tries again).
    """
    link, contractor = _usable_link(core, secret, revealed=True)
    if not links.proof_matches(secret, proof, link.proof_digest):
        raise ProofNotBound()
    code = code.strip().replace(" ", "")
    if not TOTP_CODE.match(code):
        raise InvalidRequest(field="code", problem="enter the 6 digits your app shows")
    if not password.strip():
        raise InvalidRequest(field="password", problem="enter the password shown to you")
    try:
        core.vault.prove_login(username=link.username, password=password.strip(), code=code)
    except LoginRefused:
        failures = _count_failed_proof(core, contractor, why="wrong password")
        core.metrics.enrolment("password_rejected")
        raise PasswordRejected(tries_left=core.policy.max_totp_failures - failures) from None
    except MfaCodeRejected:
        failures = _count_failed_proof(core, contractor, why="code not accepted")
        core.metrics.enrolment("totp_rejected")
        raise TotpRejected(tries_left=core.policy.max_totp_failures - failures) from None
    core.vault.activate_account(username=link.username, role=contractor.role)
    active = core.apply(
        Change(
            contractor,
            State.ACTIVE,
            actor=contractor.slack_user_id,
            action="activated",
            details={"username": link.username},
        )
    )
    core.notifier.tell_requester(active, event="active", detail="first login proven, access on")
    core.metrics.enrolment("activated")
    return active


def _count_failed_proof(core: Core, contractor: Contractor, *, why: str) -> int:
    """Count a failed enrolment login atomically; at the limit destroy the account and lock
    (raise ``EnrolmentLocked``); otherwise return the count."""
    try:
        failures = core.store.count_failed_proof(
            contractor.id,
            event=core.entry(
                actor=contractor.slack_user_id,
                action="totp_failed",
                contractor=contractor,
                reason=why,
            ),
        )
    except StaleState:
        raise _locked(core) from None  # a concurrent failure reached the limit first
    if failures < core.policy.max_totp_failures:
        return failures
    proofs = destroy_accounts(core, contractor, actor="credbot", record=False)
    try:
        locked = core.apply(
            Change(
                core.store.get_contractor(contractor.id),
                State.LOCKED,
                actor="credbot",
                action="locked",
                reason=f"{failures} failed enrolment logins",
                details={"proofs": [asdict(proof) for proof in proofs]},
                revoked_accounts=tuple(proof.username for proof in proofs),
            )
        )
    except StaleState:
        raise _locked(core) from None
    core.notifier.tell_requester(locked, event="locked", detail="too many failed logins")
    raise _locked(core)


def _locked(core: Core) -> EnrolmentLocked:
    """The refusal of a failed login that locked the enrolment, counted."""
    core.metrics.enrolment("locked")
    return EnrolmentLocked()


def _report_interception(
    core: Core, link: LinkRecord, contractor: Contractor, exc: WrappingTokenRejected
) -> None:
    """Audit ``possible_interception`` and alert the admins: a wrapping token credbot never
    unwrapped was refused, or was made somewhere else."""
    core.store.append_audit(
        core.entry(
            actor="credbot",
            action="possible_interception",
            contractor=contractor,
            reason=str(exc),
            details={
                "username": link.username,
                "wrapping_accessors": list(link.wrapping_accessors),
            },
        )
    )
    core.notifier.alert_admins(
        summary=(
            f"The credentials of {link.username} could not be unwrapped for the contractor:"
            f" {exc}. Someone else may have opened them. Offboard or reissue now."
        ),
        contractor=contractor,
    )
    core.metrics.interception_alert()


def _count_wrong_confirmation(core: Core, link: LinkRecord, contractor: Contractor) -> NoReturn:
    """Count a wrong confirmation code; the count that reaches the limit invalidates the link
    in the same statement (so no racing right code can still claim it)."""
    failures = core.store.record_failed_confirmation(
        link.link_hash, limit=MAX_CONFIRMATION_FAILURES, now=core.clock.now()
    )
    if failures is None:
        raise LinkUnusable("used")  # claimed (or invalidated) meanwhile: nothing counted
    if failures < MAX_CONFIRMATION_FAILURES:
        raise ConfirmationRejected(tries_left=MAX_CONFIRMATION_FAILURES - failures)
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
    found = core.store.get_link_with_contractor(links.link_hash(secret))
    if found is None:
        raise LinkNotFound()
    link, contractor = found
    if link.failed_confirmations >= MAX_CONFIRMATION_FAILURES:
        raise LinkUnusable("locked")
    if link.invalidated_at is not None or contractor.username != link.username:
        raise LinkUnusable("invalidated")
    if link.mfa_wrapping_accessor is None:
        raise LinkUnusable("invalidated")  # made before login MFA: the sweep reissues
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
