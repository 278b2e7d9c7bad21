"""The small interfaces the core is written against.

Concrete backends are built in ``bot.wiring`` and handed in through keyword-only constructor
arguments; tests hand in the real ones (SQLite/PostgreSQL, OpenBao).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

from bot.core.errors import ChangeRefused
from bot.core.models import (
    AccountDrift,
    AuditEntry,
    AuditEvent,
    CheckResult,
    Contractor,
    ContractorChanges,
    DepartureEvent,
    IdentityVerification,
    Lease,
    LinkRecord,
    RevocationTargets,
    SignedAnchor,
    StateChange,
    VaultAccountRecord,
)
from bot.core.states import State
from vault.models import AccountSecrets, Delivery, IssuedAccount, RevocationProof


class Clock(Protocol):
    """Where time comes from, so every time-dependent result is reproducible in tests."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class ContractorStore(Protocol):
    """Durable state: contractors, Vault accounts, links and the audit chain.

    Every method is one transaction. Methods that change a contractor also append the given
    audit entry in the same transaction, so state and audit trail never disagree.
    """

    def add_contractor(self, contractor: Contractor, *, event: AuditEntry) -> Contractor:
        """Insert a new contractor; raise ``DuplicateContractor`` if a contractor in a live
        state has the same Slack user id or email."""
        ...

    def get_contractor(self, contractor_id: str) -> Contractor:
        """Return the contractor or raise ``ContractorNotFound``."""
        ...

    def find_live_by_slack_user(self, slack_user_id: str) -> Contractor | None:
        """Return the contractor in a live state for this Slack user, if any."""
        ...

    def list_contractors(
        self,
        *,
        states: Collection[State] | None = None,
        requested_by: str | None = None,
        slack_user_ids: Collection[str] | None = None,
    ) -> list[Contractor]:
        """Contractors ordered by creation time, optionally filtered."""
        ...

    def count_by_state(self) -> dict[State, int]:
        """How many contractors are in each state (states with none are left out)."""
        ...

    def check_health(self) -> None:
        """Return if the database answers and its schema is usable by this code, else raise
        (``bot.health.NotReady`` for a schema to upgrade; any exception means unhealthy)."""
        ...

    def vault_drift(self, vault_usernames: Iterable[str]) -> AccountDrift:
        """Compare every username Vault lists (consumed lazily, in batches, so the caller
        never holds them all) with the database's records, after the last one arrived;
        whatever the iterable raises propagates."""
        ...

    def stale_accounts(self, *, stale_before: datetime) -> list[VaultAccountRecord]:
        """Unrevoked accounts no contractor uses (half-made issues, accounts replaced by a
        reissue), created before ``stale_before``, whose contractor is not being revoked
        right now; computed by the database, oldest first."""
        ...

    def on_totp_engine(self) -> list[Contractor]:
        """``issued`` or ``active`` contractors whose current account was issued before login
        MFA (a key in the old TOTP engine, no code asked at login), oldest first."""
        ...

    def apply(
        self,
        contractor_id: str,
        *,
        expected: State,
        changes: ContractorChanges,
        event: AuditEntry,
    ) -> Contractor:
        """Apply ``changes`` only if the contractor is still in ``expected`` (one conditional
        UPDATE), bump ``version`` and ``updated_at``, record ``changes.revoked_accounts`` as
        revoked, release any sweep claim when the state changes, append ``event``; all in one
        transaction; return the new row.

        Raise ``StaleState`` (and change nothing) when the state moved on meanwhile,
        ``ContractorNotFound`` when there is no such contractor.
        """
        ...

    def apply_many(self, changes: Sequence[StateChange]) -> list[Contractor | ChangeRefused]:
        """``apply`` for several contractors in one transaction, one outcome per change in
        order: the new row, or the ``StaleState``/``ContractorNotFound`` that change met (it
        changed nothing; the others still apply). The events are appended in order."""
        ...

    def due_for_sweep(self, *, now: datetime, today: date) -> list[Contractor]:
        """Contractors the sweep must act on, not claimed by another sweep right now:
        ``revoking`` ones; ``issued`` ones whose current link expired unused; and those whose
        contract ended before ``today`` and who may still hold or get access. Indexed queries
        only: a sweep with nothing due stays fast however many contractors there are."""
        ...

    def claim_for_sweep(
        self, contractor_id: str, *, worker: str, now: datetime, lease: timedelta
    ) -> Contractor | None:
        """Claim a contractor for one sweep worker until ``now + lease`` (one conditional
        UPDATE: unclaimed, or the previous claim lapsed) and return it as it is now; ``None``
        when someone else holds it. Exactly one concurrent caller wins."""
        ...

    def claim_many_for_sweep(
        self, contractor_ids: Collection[str], *, worker: str, now: datetime, lease: timedelta
    ) -> list[Contractor]:
        """``claim_for_sweep`` for several contractors in one conditional UPDATE (each row is
        claimed on its own); return those we won."""
        ...

    def release_sweep_claim(self, contractor_id: str, *, worker: str) -> None:
        """Drop this worker's claim (a lapsed or foreign claim is left alone)."""
        ...

    def add_account(self, account: VaultAccountRecord) -> None:
        """Record a Vault username before it is created in Vault."""
        ...

    def mark_account_revoked(self, username: str, *, at: datetime, event: AuditEntry) -> None:
        """Record that the Vault account is gone, with its audit event, in one transaction;
        keeps the first ``revoked_at`` (idempotent)."""
        ...

    def unrevoked_accounts(self, contractor_id: str | None = None) -> list[VaultAccountRecord]:
        """Accounts not yet proven revoked, for one contractor or all."""
        ...

    def add_link(self, link: LinkRecord) -> None:
        """Store a new link (hash and sealed wrapping token only)."""
        ...

    def get_link(self, link_hash: str) -> LinkRecord | None:
        """Return the link with this hash, if any."""
        ...

    def revocation_targets(self, contractor_id: str) -> RevocationTargets:
        """The contractor's unrevoked accounts and live links, in one read transaction."""
        ...

    def revocation_targets_of(
        self, contractor_ids: Collection[str]
    ) -> dict[str, RevocationTargets]:
        """``revocation_targets`` of several contractors in one read transaction."""
        ...

    def claim_link(
        self, link_hash: str, *, now: datetime, proof_digest: str, max_failures: int
    ) -> bool:
        """Atomically mark an unclaimed, valid, unexpired link with fewer than
        ``max_failures`` wrong confirmation codes as claimed, keeping ``proof_digest``.

        One conditional UPDATE: of any number of concurrent callers exactly one gets ``True``.
        """
        ...

    def release_link(self, link_hash: str, *, claimed_at: datetime) -> None:
        """Make a link claimed at ``claimed_at`` unclaimed again (Vault was unreachable while
        unwrapping, so nothing was delivered); a link claimed at another time is left alone."""
        ...

    def record_failed_confirmation(
        self, link_hash: str, *, limit: int, now: datetime
    ) -> int | None:
        """Count one wrong confirmation code on an unclaimed, valid link and invalidate it when
        the count reaches ``limit``, in one atomic step; return the new count, or ``None`` when
        the link was claimed or invalidated meanwhile (nothing counted)."""
        ...

    def count_failed_proof(self, contractor_id: str, *, event: AuditEntry) -> int:
        """Count one failed enrolment login of an ``issued`` contractor atomically, with its
        audit event; return the new count; ``StaleState`` when no longer ``issued``."""
        ...

    def invalidate_links(self, contractor_id: str, *, at: datetime) -> None:
        """Make every unclaimed link of this contractor unusable (reissue, revocation)."""
        ...

    def record_event(self, event: DepartureEvent) -> bool:
        """Insert the event unless its ``event_id`` is known; ``False`` for a duplicate (Slack
        retries deliveries). Durable when it returns."""
        ...

    def pending_events(self) -> list[DepartureEvent]:
        """Recorded events not yet marked done, oldest first."""
        ...

    def mark_event_done(self, event_id: str, *, at: datetime) -> None:
        """Record that the event's work is finished."""
        ...

    def check_results(self, contractor_id: str) -> list[CheckResult]:
        """The identity checks last run on the contractor, in the order they ran."""
        ...

    def live_duplicates(self, contractor: Contractor) -> list[Contractor]:
        """Other live contractors with the same Slack user or email."""
        ...

    def add_verification(self, verification: IdentityVerification, *, event: AuditEntry) -> None:
        """Store a new identity verification with its audit event."""
        ...

    def verifications(self, contractor_id: str) -> list[IdentityVerification]:
        """The contractor's identity verifications, newest first."""
        ...

    def find_verification(self, reference: str) -> IdentityVerification | None:
        """The verification with this reference, if any."""
        ...

    def decide_verification(
        self, decided: IdentityVerification, *, delivery: str, event: AuditEntry
    ) -> None:
        """Record a service's result on a pending verification; raise ``DeliveryReplayed``
        for a delivery seen before, ``VerificationDecided`` if it is no longer pending."""
        ...

    def erasable(self, *, finished_before: datetime) -> list[str]:
        """IDs of revoked or rejected records last changed before ``finished_before`` whose
        personal data is not erased yet."""
        ...

    def erase_personal_data(
        self, contractor_ids: list[str], *, finished_before: datetime, events: list[AuditEntry]
    ) -> None:
        """Erase those records' personal data (see ``bot.core.retention``) and append
        ``events``, in one transaction; records that changed meanwhile are left alone."""
        ...

    def append_audit(self, entry: AuditEntry) -> AuditEvent:
        """Append an event that accompanies no state change (alerts, reports)."""
        ...

    def audit_events(self, *, after_seq: int = 0) -> Iterator[AuditEvent]:
        """Every stored audit event after ``after_seq`` in chain order (ascending ``seq``),
        streamed."""
        ...

    def last_audit_event(self, *, action: str | None = None) -> AuditEvent | None:
        """The newest stored audit event (highest ``seq``), of ``action`` when given, if any."""
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
    """How people hear about lifecycle events (Slack DMs in production)."""

    def send_link(self, contractor: Contractor, *, url: str, code: str) -> None:
        """Deliver the one-time link and its confirmation code to the contractor only, with
        unfurling off."""
        ...

    def tell_requester(self, contractor: Contractor, *, event: str, detail: str = "") -> None:
        """Tell the manager who asked what happened (approved, issued, active, revoked, ...)."""
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
