"""The store the core keeps its records in, one small protocol per concern.

Each protocol reads in a minute: contractors and their changes of state, Vault accounts, links,
sweep claims, the inbox of departure events, identity records, erasure and the audit trail.
``Store`` is all of them on one database (``bot.storage.store.SqlStore`` in production,
``tests.support.memory_store.MemoryStore`` in the fast layer); code that needs one concern
can ask for that protocol alone (the uniqueness and KYC attestation checks do).

Every method is one transaction. A method that changes a contractor, or takes an audit entry,
appends that entry in the same transaction, so state and audit trail never disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core.changes import Change
from bot.core.errors import ChangeRefused
from bot.core.models import (
    AccountDrift,
    AuditEntry,
    AuditEvent,
    CheckResult,
    Contractor,
    DepartureEvent,
    IdentityVerification,
    LinkRecord,
    RevocationTargets,
    VaultAccountRecord,
)
from bot.core.states import State


class ContractorRecords(Protocol):
    """Contractors and their changes of state."""

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

    def apply(self, change: Change, *, at: datetime) -> Contractor:
        """Apply ``change`` only if the contractor is still in ``change.contractor.state`` (one
        conditional UPDATE: compare and set the state), bump ``version``, set ``updated_at``
        to ``at``, record ``change.revoked_accounts`` as revoked, replace the check results
        with ``change.checks``, release any sweep claim when the state changes, append
        ``change.event(at)``; all in one transaction; return the new row.

        Raise ``StaleState`` (and change nothing) when the state moved on meanwhile,
        ``ContractorNotFound`` when there is no such contractor.
        """
        ...

    def apply_many(
        self, changes: Sequence[Change], *, at: datetime
    ) -> list[Contractor | ChangeRefused]:
        """``apply`` for several contractors in one transaction, one outcome per change in
        order: the new row, or the ``StaleState``/``ContractorNotFound`` that change met (it
        changed nothing; the others still apply). The events are appended in order."""
        ...

    def start_revocations(
        self, changes: Sequence[Change], *, at: datetime
    ) -> tuple[list[Contractor | ChangeRefused], dict[str, RevocationTargets]]:
        """``apply_many`` (the moves to ``revoking``) and, in the same transaction, after the
        moves, ``revocation_targets_of`` the contractors moved (only those are keys): an
        offboard writes its intent and learns what to destroy in one transaction instead of
        two. The intent is still written before any Vault call."""
        ...

    def count_failed_proof(self, contractor_id: str, *, event: AuditEntry) -> int:
        """Count one failed enrolment login of an ``issued`` contractor atomically, with its
        audit event; return the new count; ``StaleState`` when no longer ``issued``."""
        ...


class AccountRecords(Protocol):
    """Every Vault account credbot created (recorded before the Vault call), and what revoking a
    contractor must destroy."""

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

    def revocation_targets(self, contractor_id: str) -> RevocationTargets:
        """The contractor's unrevoked accounts and live links, in one read transaction."""
        ...

    def revocation_targets_of(
        self, contractor_ids: Collection[str]
    ) -> dict[str, RevocationTargets]:
        """``revocation_targets`` of several contractors in one read transaction."""
        ...

    def stale_accounts(self, *, stale_before: datetime) -> list[VaultAccountRecord]:
        """Unrevoked accounts no contractor uses (half-made issues, accounts replaced by a
        reissue), created before ``stale_before``, whose contractor is not being revoked
        right now; computed by the database, oldest first."""
        ...

    def vault_drift(self, vault_usernames: Iterable[str]) -> AccountDrift:
        """Compare every username Vault lists (consumed lazily, in batches, so the caller
        never holds them all) with the database's records, after the last one arrived;
        whatever the iterable raises propagates."""
        ...

    def on_totp_engine(self) -> list[Contractor]:
        """``issued`` or ``active`` contractors whose current account was issued before login
        MFA (a key in the old TOTP engine, no code asked at login), oldest first."""
        ...


class LinkRecords(Protocol):
    """One-time enrollment links: only their hash and sealed wrapping tokens, claimed once."""

    def add_link(self, link: LinkRecord) -> None:
        """Store a new link (hash and sealed wrapping token only)."""
        ...

    def get_link_with_contractor(self, link_hash: str) -> tuple[LinkRecord, Contractor] | None:
        """Return the link with this hash and its contractor, read together (one statement:
        every page of a link needs both), if the link exists."""
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

    def invalidate_links(self, contractor_id: str, *, at: datetime) -> None:
        """Make every unclaimed link of this contractor unusable (reissue, revocation)."""
        ...


class SweepClaims(Protocol):
    """What the sweep must act on, and which sweep worker holds which contractor meanwhile."""

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


class DepartureInbox(Protocol):
    """Departure events from Slack, recorded once (Slack retries) and marked done once handled."""

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


class IdentityRecords(Protocol):
    """What the identity checks concluded, and the KYC verifications they rely on."""

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


class Erasure(Protocol):
    """Erasing personal data of finished records once the retention period ended."""

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


class AuditTrail(Protocol):
    """The hash-chained audit trail: appends that go with no state change, and reading it back."""

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


class Store(
    ContractorRecords,
    AccountRecords,
    LinkRecords,
    SweepClaims,
    DepartureInbox,
    IdentityRecords,
    Erasure,
    AuditTrail,
    Protocol,
):
    """Every concern's records on one database, which the core holds as ``Core.store``."""

    def check_health(self) -> None:
        """Return if the database answers and its schema is usable by this code, else raise
        (``bot.core.health.NotReady`` for a schema to upgrade; any exception means unhealthy)."""
        ...
