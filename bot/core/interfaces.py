"""The small interfaces the core is written against (its store's are in ``bot.core.stores``).

Concrete backends are built in ``bot.wiring`` and handed in through keyword-only constructor
arguments; tests hand in the real ones (SQLite/PostgreSQL, OpenBao).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from bot.core.decisions import Decision
from bot.core.errors import CredbotError
from bot.core.models import CheckResult, Contractor, Lease, SignedAnchor
from vault.models import AccountSecrets, Delivery, IssuedAccount, RevocationProof


class Clock(Protocol):
    """Where time comes from, so every time-dependent result is reproducible in tests."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class VaultBackend(Protocol):
    """What the core needs from Vault. Implemented by ``vault.accounts.VaultAccounts``.

    Raises the exceptions of ``vault.errors``.
    """

    def issue_account(self, *, username: str, wrap_ttl: timedelta) -> IssuedAccount:
        """Create a userpass user granting nothing yet and its identity entity, have Vault
        generate the entity's login-MFA secret, and return the password and the secret as two
        response-wrapped tokens created at their exact source paths. On failure, remove
        whatever was created before re-raising."""
        ...

    def unwrap_account(self, *, username: str, delivery: Delivery) -> AccountSecrets:
        """Check both wrapping tokens' creation paths exactly, then unwrap each once."""
        ...

    def prove_login(self, *, username: str, password: str, code: str) -> None:
        """Log in as the contractor with password and TOTP code (Vault's login MFA), then end
        the token at once. Raises ``LoginRefused``, ``MfaCodeRejected`` (and its
        ``MfaAttemptsExceeded``) or ``MfaNotEnforced``."""
        ...

    def activate_account(self, *, username: str, role: str) -> None:
        """Switch the user's policy from pending to the role's policy."""
        ...

    def revoke_account(self, *, username: str, legacy_totp_key: bool = False) -> RevocationProof:
        """Delete the user, end every token, destroy the MFA secret and the entity (and an old
        TOTP-engine key); idempotent; return what Vault reports afterwards."""
        ...

    def iter_accounts(self) -> Iterator[str]:
        """Every userpass username in credbot's mount in byte order, fetched lazily page by
        page (for reconciliation, which must not hold them all)."""
        ...

    def check_health(self) -> None:
        """Return if Vault answers and is unsealed, else raise ``VaultUnavailable``."""
        ...


class AuditAnchors(Protocol):
    """Where the audit chain is anchored outside the database: a signing key the bot can use
    but not export, and the newest signed anchor, which no database writer can reach.
    Implemented by ``vault.anchors.VaultAnchors``; raises the exceptions of ``vault.errors``.
    """

    def sign(self, message: bytes) -> str:
        """Sign ``message`` with the anchor key; return the signature."""
        ...

    def verify(self, message: bytes, signature: str) -> bool:
        """Whether ``signature`` is the anchor key's signature of ``message``."""
        ...

    def read_anchor(self) -> tuple[dict[str, Any], int] | None:
        """The newest stored anchor's fields and storage version, or ``None`` when none."""
        ...

    def write_anchor(self, fields: Mapping[str, Any], *, version: int) -> bool:
        """Store ``fields`` as the newest anchor only if the stored version is still
        ``version`` (0: none stored yet); ``False`` when another writer came first."""
        ...


class Leases(Protocol):
    """Named jobs one process at a time may run, across replicas on one database."""

    def take_lease(self, name: str, *, holder: str, now: datetime, ttl: timedelta) -> Lease:
        """Take the lease for ``holder`` until ``now + ttl`` when it is free, lapsed or
        already ``holder``'s (which extends it), in one conditional statement: of any number
        of concurrent callers exactly one gets it. Return the lease as it is now: ``holder``
        is someone else's when they hold it."""
        ...

    def release_lease(self, name: str, *, holder: str) -> None:
        """Give the lease up if ``holder`` still holds it (a lapsed one taken over is left)."""
        ...


class Directory(Protocol):
    """Who still exists in the workspace (Slack's ``users.list`` in production)."""

    def deactivated_user_ids(self) -> set[str]:
        """IDs of deactivated or deleted users; raise when the answer is incomplete (never
        guess: a partial list must not look like "nobody left")."""
        ...

    def is_deactivated(self, slack_user_id: str) -> bool:
        """Look one user up now (an event's missing ``deleted`` field proves nothing); raise
        when Slack does not answer."""
        ...


class Notifier(Protocol):
    """What the core needs from a door to reach people (Slack in production): ask the
    approvers, show a decision, deliver a link, tell a requester, alert the admins."""

    def ask_approvers(self, contractor: Contractor, checks: Sequence[CheckResult]) -> None:
        """Show the approvers the request as its state asks: awaiting approval (approve or
        reject), verifying (an approver must check an ID), rejected by the checks (why).
        Raises ``ApprovalNotPosted`` after alerting the admins when no approver can see it."""
        ...

    def show_decision(self, decision: Decision) -> None:
        """Show on the request's card who decided what and what followed. Must not raise:
        the decision stands whether or not the card shows it."""
        ...

    def send_link(self, contractor: Contractor, *, url: str, code: str) -> None:
        """Deliver the one-time link and its confirmation code to the contractor only, with
        unfurling off. Raises ``LinkNotDelivered`` after telling the requester and admins."""
        ...

    def tell_requester(
        self,
        contractor: Contractor,
        *,
        event: str,
        detail: str = "",
        error: CredbotError | None = None,
    ) -> None:
        """Tell the manager who asked what happened (approved, issued, active, revoked, ...);
        ``error``: what went wrong, for the door to explain in its own words."""
        ...

    def tell_checks(
        self, contractor: Contractor, checks: Sequence[CheckResult], *, failed: str = ""
    ) -> None:
        """Tell the manager who asked where the request stands after its identity checks ran
        again by themselves (an attestation, a verification service's result). ``failed``: a
        service's result arrived but the checks could not run (the error's name)."""
        ...

    def alert_admins(self, *, summary: str, contractor: Contractor | None = None) -> None:
        """Raise an alert an admin must look at (possible interception, stuck revocation)."""
        ...

    def publish_anchor(self, anchor: SignedAnchor) -> None:
        """Post a newly signed audit anchor where admins keep it (the audit channel): a copy
        outside both the database and Vault. Must not raise: the anchor is already stored."""
        ...


EnrolmentOutcome = Literal[
    "revealed", "activated", "password_rejected", "totp_rejected", "locked", "interception"
]


class Metrics(Protocol):
    """What the core counts for operators (``bot.metrics`` exports it to Prometheus). Each
    method is called once per event, from whichever door caused it; none may raise."""

    def enrolment(self, outcome: EnrolmentOutcome) -> None:
        """A contractor's step on the enrollment page ended so."""
        ...

    def interception_alert(self) -> None:
        """The admins were alerted to a possible interception of a delivery."""
        ...

    def sweep_finished(self, *, seconds: float, all_done: bool, at: datetime) -> None:
        """A sweep (not a dry run) ran to its end in ``seconds``, at ``at``; ``all_done``: it
        left nothing pending."""
        ...


class NoMetrics:
    """Counts nothing: the default for a core nobody scrapes (tests of other concerns)."""

    def enrolment(self, outcome: EnrolmentOutcome) -> None:
        """Nothing."""

    def interception_alert(self) -> None:
        """Nothing."""

    def sweep_finished(self, *, seconds: float, all_done: bool, at: datetime) -> None:
        """Nothing."""
