"""``MemoryStore`` and ``MemoryLeases``: the store protocols in memory, for the fast layer.

They stand in for ``bot.storage.store.SqlStore`` and ``bot.storage.leases.SqlLeases``
only in tests that need no server (``bash tests/run.sh --fast``), so the core's rules can be
checked in milliseconds. They are held to the real ones by the contract tests in
``tests/storage/contract/``, which run every case against both (SQLite, PostgreSQL, memory):
a behaviour the contract pins cannot drift apart (STYLE habit 7).

Each method runs under one lock, which makes it one atomic step as each ``SqlStore`` method is
one transaction; a method that raises changes nothing. Records are immutable dataclasses and
are replaced, never mutated. What the database does to values on the way through is done
here too: times must be timezone-aware (``ValueError`` naming the naive one) and come back in
UTC, and audit details come back as JSON would return them. ``add_account`` keeps
``second_factor`` at its default, as the table's default does (only migrated rows are
``totp_engine``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from bot.core.audit import GENESIS_HASH, chain_hash
from bot.core.changes import Change
from bot.core.errors import (
    ChangeRefused,
    ContractorNotFound,
    DeliveryReplayed,
    DuplicateContractor,
    StaleState,
    VerificationDecided,
)
from bot.core.models import (
    AccountDrift,
    AuditEntry,
    AuditEvent,
    CheckResult,
    Contractor,
    DepartureEvent,
    IdentityVerification,
    Lease,
    LinkRecord,
    RevocationTargets,
    VaultAccountRecord,
)
from bot.core.states import ACCESS_STATES, CONTRACT_END_STATES, LIVE_STATES, State

R = TypeVar("R")


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; ``ValueError`` for a naive time (as ``UtcDateTime`` refuses it)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware time")
    return moment.astimezone(UTC)


def _stored(record: R) -> R:
    """A dataclass record with every datetime field in UTC (naive ones refused)."""
    changed = {
        f.name: utc(value)
        for f in fields(record)  # type: ignore[arg-type]
        if isinstance(value := getattr(record, f.name), datetime)
    }
    return replace(record, **changed) if changed else record  # type: ignore[type-var]


def _json(value: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(value))
    return loaded


@dataclass
class _Event:
    """A row of ``processed_events``."""

    kind: str
    slack_user_id: str | None
    received_at: datetime
    done_at: datetime | None = None


@dataclass
class _Claim:
    worker: str
    until: datetime


class MemoryStore:
    """``bot.core.stores.Store`` in memory (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._contractors: dict[str, Contractor] = {}
        self._claims: dict[str, _Claim] = {}
        self._accounts: dict[str, VaultAccountRecord] = {}
        self._links: dict[str, LinkRecord] = {}
        self._checks: dict[str, list[CheckResult]] = {}
        self._verifications: dict[str, IdentityVerification] = {}
        self._events: dict[str, _Event] = {}
        self._audit: list[AuditEvent] = []

    # -- contractors (ContractorRecords) -------------------------------------------------

    def add_contractor(self, contractor: Contractor, *, event: AuditEntry) -> Contractor:
        """Insert and audit; ``DuplicateContractor`` for a live twin (Slack user first)."""
        contractor = _stored(contractor)
        with self._lock:
            if contractor.id in self._contractors:
                raise ValueError(f"contractor {contractor.id} exists")
            twins = [
                c
                for c in self._ordered(self._contractors.values())
                if c.state in LIVE_STATES
                and (c.slack_user_id == contractor.slack_user_id or c.email == contractor.email)
            ]
            for twin in twins:
                if twin.slack_user_id == contractor.slack_user_id:
                    raise DuplicateContractor(existing_id=twin.id, field="slack_user_id")
            if twins:
                raise DuplicateContractor(existing_id=twins[0].id, field="email")
            self._append([event])
            self._contractors[contractor.id] = contractor
            return contractor

    def get_contractor(self, contractor_id: str) -> Contractor:
        """The contractor, or ``ContractorNotFound``."""
        with self._lock:
            found = self._contractors.get(contractor_id)
        if found is None:
            raise ContractorNotFound(contractor_id)
        return found

    def find_live_by_slack_user(self, slack_user_id: str) -> Contractor | None:
        """The live contractor of this Slack user, if any."""
        with self._lock:
            return next(
                (
                    c
                    for c in self._contractors.values()
                    if c.slack_user_id == slack_user_id and c.state in LIVE_STATES
                ),
                None,
            )

    def list_contractors(
        self,
        *,
        states: Collection[State] | None = None,
        requested_by: str | None = None,
        slack_user_ids: Collection[str] | None = None,
    ) -> list[Contractor]:
        """Ordered by creation time, then id; optionally filtered."""
        with self._lock:
            return [
                c
                for c in self._ordered(self._contractors.values())
                if (states is None or c.state in states)
                and (requested_by is None or c.requested_by == requested_by)
                and (slack_user_ids is None or c.slack_user_id in slack_user_ids)
            ]

    def count_by_state(self) -> dict[State, int]:
        """How many contractors are in each state that has any."""
        counts: dict[State, int] = {}
        with self._lock:
            for contractor in self._contractors.values():
                counts[contractor.state] = counts.get(contractor.state, 0) + 1
        return counts

    def apply(self, change: Change, *, at: datetime) -> Contractor:
        """``apply_many`` of one change; its refusal is raised."""
        (outcome,) = self.apply_many([change], at=at)
        if isinstance(outcome, Contractor):
            return outcome
        raise outcome

    def apply_many(
        self, changes: Sequence[Change], *, at: datetime
    ) -> list[Contractor | ChangeRefused]:
        """Each change applied if its contractor is still in the state it expects; the applied
        changes' events appended in order."""
        at = utc(at)
        with self._lock:
            outcomes = [self._apply_one(change, at=at) for change in changes]
            self._append(
                [
                    change.event(at)
                    for change, outcome in zip(changes, outcomes, strict=True)
                    if isinstance(outcome, Contractor)
                ]
            )
            return outcomes

    def start_revocations(
        self, changes: Sequence[Change], *, at: datetime
    ) -> tuple[list[Contractor | ChangeRefused], dict[str, RevocationTargets]]:
        """``apply_many``, then the targets of the contractors it moved, under one lock."""
        with self._lock:
            outcomes = self.apply_many(changes, at=at)
            moved = [outcome.id for outcome in outcomes if isinstance(outcome, Contractor)]
            return outcomes, self.revocation_targets_of(moved)

    def _apply_one(self, change: Change, *, at: datetime) -> Contractor | ChangeRefused:
        expected = change.contractor
        current = self._contractors.get(expected.id)
        if current is None:
            return ContractorNotFound(expected.id)
        if current.state is not expected.state:
            return StaleState(contractor_id=expected.id, expected=expected.state.value)
        updated = replace(current, **change.columns(), version=current.version + 1, updated_at=at)
        self._contractors[current.id] = updated
        if change.state is not None and change.state is not State.REVOKING:
            self._claims.pop(current.id, None)
        for username in change.revoked_accounts:
            account = self._accounts.get(username)
            if account is not None and account.revoked_at is None:
                self._accounts[username] = replace(account, revoked_at=at)
        if change.checks is not None:
            self._checks[current.id] = list(change.checks)
        return updated

    def count_failed_proof(self, contractor_id: str, *, event: AuditEntry) -> int:
        """Count one failed enrolment login while ``issued``; ``StaleState`` otherwise."""
        at = utc(event.at)
        with self._lock:
            current = self._contractors.get(contractor_id)
            if current is None or current.state is not State.ISSUED:
                raise StaleState(contractor_id=contractor_id, expected=State.ISSUED.value)
            self._append([event])
            self._contractors[contractor_id] = replace(
                current,
                failed_totp_attempts=current.failed_totp_attempts + 1,
                version=current.version + 1,
                updated_at=at,
            )
            return current.failed_totp_attempts + 1

    # -- Vault accounts (AccountRecords) -------------------------------------------------

    def add_account(self, account: VaultAccountRecord) -> None:
        """Record a username (``ValueError`` if it was ever recorded: never reused)."""
        account = replace(_stored(account), second_factor="login_mfa")
        with self._lock:
            if account.username in self._accounts:
                raise ValueError(f"username {account.username} was used before")
            self._accounts[account.username] = account

    def mark_account_revoked(self, username: str, *, at: datetime, event: AuditEntry) -> None:
        """Keep the first ``revoked_at``; always append ``event``."""
        at = utc(at)
        with self._lock:
            self._append([event])
            account = self._accounts.get(username)
            if account is not None and account.revoked_at is None:
                self._accounts[username] = replace(account, revoked_at=at)

    def unrevoked_accounts(self, contractor_id: str | None = None) -> list[VaultAccountRecord]:
        """Oldest first."""
        with self._lock:
            found = [
                a
                for a in self._accounts.values()
                if a.revoked_at is None and contractor_id in (None, a.contractor_id)
            ]
        return sorted(found, key=lambda a: (a.created_at, a.username))

    def revocation_targets(self, contractor_id: str) -> RevocationTargets:
        """Unrevoked accounts and live links of one contractor."""
        return self.revocation_targets_of([contractor_id])[contractor_id]

    def revocation_targets_of(
        self, contractor_ids: Collection[str]
    ) -> dict[str, RevocationTargets]:
        """Every id is a key; unknown ones map to empty targets."""
        with self._lock:
            return {
                i: RevocationTargets(
                    accounts=tuple(self.unrevoked_accounts(i)),
                    live_links=tuple(
                        sorted(
                            (
                                link
                                for link in self._links.values()
                                if link.contractor_id == i
                                and link.claimed_at is None
                                and link.invalidated_at is None
                            ),
                            key=lambda link: (link.created_at, link.link_hash),
                        )
                    ),
                )
                for i in contractor_ids
            }

    def stale_accounts(self, *, stale_before: datetime) -> list[VaultAccountRecord]:
        """Unrevoked accounts no contractor uses, older than ``stale_before``."""
        stale_before = utc(stale_before)
        with self._lock:
            stale = []
            for account in self._accounts.values():
                owner = self._contractors.get(account.contractor_id)
                if owner is None or account.revoked_at is not None:
                    continue
                in_use = owner.state in ACCESS_STATES and owner.username == account.username
                old = account.created_at < stale_before
                if old and owner.state is not State.REVOKING and not in_use:
                    stale.append(account)
        return sorted(stale, key=lambda a: (a.created_at, a.username))

    def vault_drift(self, vault_usernames: Iterable[str]) -> AccountDrift:
        """Orphans and missing accounts, judged after the last name arrived."""
        listed = set(vault_usernames)  # whatever the iterable raises propagates
        with self._lock:
            recorded = {a.username for a in self._accounts.values() if a.revoked_at is None}
            missing = [
                c.username
                for c in self._contractors.values()
                if c.state in ACCESS_STATES and c.username is not None and c.username not in listed
            ]
        return AccountDrift(
            orphans=tuple(sorted(listed - recorded)), missing=tuple(sorted(missing))
        )

    def on_totp_engine(self) -> list[Contractor]:
        """``issued``/``active`` contractors whose current account is on the TOTP engine."""
        with self._lock:
            return [
                c
                for c in self._ordered(self._contractors.values())
                if c.state in ACCESS_STATES
                and (account := self._accounts.get(c.username or "")) is not None
                and account.second_factor == "totp_engine"
                and account.revoked_at is None
            ]

    # -- links (LinkRecords) -------------------------------------------------------------

    def add_link(self, link: LinkRecord) -> None:
        """Store a new link (``ValueError`` for a known hash)."""
        link = _stored(link)
        with self._lock:
            if link.link_hash in self._links:
                raise ValueError("link exists")
            self._links[link.link_hash] = link

    def get_link_with_contractor(self, link_hash: str) -> tuple[LinkRecord, Contractor] | None:
        """The link with this hash and its contractor, if any."""
        with self._lock:
            link = self._links.get(link_hash)
            return None if link is None else (link, self._contractors[link.contractor_id])

    def claim_link(
        self, link_hash: str, *, now: datetime, proof_digest: str, max_failures: int
    ) -> bool:
        """Claim an unclaimed, valid, unexpired link under ``max_failures`` wrong codes."""
        now = utc(now)
        with self._lock:
            link = self._links.get(link_hash)
            if (
                link is None
                or link.claimed_at is not None
                or link.invalidated_at is not None
                or link.expires_at <= now
                or link.failed_confirmations >= max_failures
            ):
                return False
            self._links[link_hash] = replace(link, claimed_at=now, proof_digest=proof_digest)
            return True

    def release_link(self, link_hash: str, *, claimed_at: datetime) -> None:
        """Undo the claim made at ``claimed_at`` only."""
        claimed_at = utc(claimed_at)
        with self._lock:
            link = self._links.get(link_hash)
            if link is not None and link.claimed_at == claimed_at:
                self._links[link_hash] = replace(link, claimed_at=None, proof_digest=None)

    def record_failed_confirmation(
        self, link_hash: str, *, limit: int, now: datetime
    ) -> int | None:
        """Count one wrong code on an unclaimed, valid link; invalidate it at ``limit``."""
        now = utc(now)
        with self._lock:
            link = self._links.get(link_hash)
            if link is None or link.claimed_at is not None or link.invalidated_at is not None:
                return None
            count = link.failed_confirmations + 1
            invalidated = now if count >= limit else None
            self._links[link_hash] = replace(
                link, failed_confirmations=count, invalidated_at=invalidated
            )
            return count

    def invalidate_links(self, contractor_id: str, *, at: datetime) -> None:
        """Every unclaimed, valid link of the contractor becomes unusable at ``at``."""
        at = utc(at)
        with self._lock:
            for link in list(self._links.values()):
                if (
                    link.contractor_id == contractor_id
                    and link.claimed_at is None
                    and link.invalidated_at is None
                ):
                    self._links[link.link_hash] = replace(link, invalidated_at=at)

    # -- sweep claims (SweepClaims) ------------------------------------------------------

    def due_for_sweep(self, *, now: datetime, today: date) -> list[Contractor]:
        """Revoking, expired-link and ended-contract contractors not claimed right now."""
        now = utc(now)
        with self._lock:
            return [
                c
                for c in self._ordered(self._contractors.values())
                if self._unclaimed(c.id, now)
                and (
                    c.state is State.REVOKING
                    or (c.state is State.ISSUED and self._link_expired(c, now))
                    or (c.end_date < today and c.state in CONTRACT_END_STATES)
                )
            ]

    def _link_expired(self, contractor: Contractor, now: datetime) -> bool:
        return any(
            link.contractor_id == contractor.id
            and link.username == contractor.username
            and link.claimed_at is None
            and link.invalidated_at is None
            and link.expires_at <= now
            for link in self._links.values()
        )

    def _unclaimed(self, contractor_id: str, now: datetime) -> bool:
        claim = self._claims.get(contractor_id)
        return claim is None or claim.until <= now

    def claim_for_sweep(
        self, contractor_id: str, *, worker: str, now: datetime, lease: timedelta
    ) -> Contractor | None:
        """Claim one contractor; ``None`` when someone else holds it."""
        claimed = self.claim_many_for_sweep([contractor_id], worker=worker, now=now, lease=lease)
        return claimed[0] if claimed else None

    def claim_many_for_sweep(
        self, contractor_ids: Collection[str], *, worker: str, now: datetime, lease: timedelta
    ) -> list[Contractor]:
        """Claim each free or lapsed one; return those won."""
        now = utc(now)
        with self._lock:
            won = []
            for contractor_id in dict.fromkeys(contractor_ids):
                contractor = self._contractors.get(contractor_id)
                if contractor is not None and self._unclaimed(contractor_id, now):
                    self._claims[contractor_id] = _Claim(worker=worker, until=now + lease)
                    won.append(contractor)
            return won

    def release_sweep_claim(self, contractor_id: str, *, worker: str) -> None:
        """Drop the claim if it is still ``worker``'s."""
        with self._lock:
            claim = self._claims.get(contractor_id)
            if claim is not None and claim.worker == worker:
                del self._claims[contractor_id]

    # -- departure events (DepartureInbox) -----------------------------------------------

    def record_event(self, event: DepartureEvent) -> bool:
        """``False`` for a known ``event_id``."""
        received_at = utc(event.received_at)
        with self._lock:
            if event.event_id in self._events:
                return False
            self._events[event.event_id] = _Event(
                kind=event.kind, slack_user_id=event.slack_user_id, received_at=received_at
            )
            return True

    def pending_events(self) -> list[DepartureEvent]:
        """Events not done yet, oldest first."""
        with self._lock:
            pending = [
                DepartureEvent(
                    event_id=event_id,
                    kind=row.kind,
                    slack_user_id=row.slack_user_id or "",
                    received_at=row.received_at,
                )
                for event_id, row in self._events.items()
                if row.done_at is None
            ]
        return sorted(pending, key=lambda e: (e.received_at, e.event_id))

    def mark_event_done(self, event_id: str, *, at: datetime) -> None:
        """Set ``done_at`` once."""
        at = utc(at)
        with self._lock:
            row = self._events.get(event_id)
            if row is not None and row.done_at is None:
                row.done_at = at

    # -- identity checks and verifications (IdentityRecords) -----------------------------

    def check_results(self, contractor_id: str) -> list[CheckResult]:
        """The checks last run, in the order they ran."""
        with self._lock:
            return list(self._checks.get(contractor_id, []))

    def live_duplicates(self, contractor: Contractor) -> list[Contractor]:
        """Other live contractors with the same Slack user or email."""
        with self._lock:
            return [
                c
                for c in sorted(self._contractors.values(), key=lambda c: c.created_at)
                if c.id != contractor.id
                and c.state in LIVE_STATES
                and (c.slack_user_id == contractor.slack_user_id or c.email == contractor.email)
            ]

    def add_verification(self, verification: IdentityVerification, *, event: AuditEntry) -> None:
        """Insert with its event (``ValueError`` for a known reference)."""
        verification = _stored(verification)
        with self._lock:
            if verification.reference in self._verifications:
                raise ValueError("verification exists")
            self._append([event])
            self._verifications[verification.reference] = verification

    def verifications(self, contractor_id: str) -> list[IdentityVerification]:
        """Newest first."""
        with self._lock:
            found = [v for v in self._verifications.values() if v.contractor_id == contractor_id]
        return sorted(found, key=lambda v: v.created_at, reverse=True)

    def find_verification(self, reference: str) -> IdentityVerification | None:
        """The verification with this reference, if any."""
        with self._lock:
            return self._verifications.get(reference)

    def decide_verification(
        self, decided: IdentityVerification, *, delivery: str, event: AuditEntry
    ) -> None:
        """``DeliveryReplayed`` first, then ``VerificationDecided``; else record the result,
        the delivery and ``event``."""
        decided = _stored(decided)
        assert decided.decided_at is not None, "a decision has its time"
        key = f"kyc:{delivery}"
        with self._lock:
            if key in self._events:
                raise DeliveryReplayed(f"delivery {delivery[:12]} was received before")
            state = self.get_contractor(decided.contractor_id).state
            if state is not State.VERIFYING:
                raise VerificationDecided(reference=decided.reference, state=state.value)
            current = self._verifications.get(decided.reference)
            if current is None or current.status != "pending":
                raise VerificationDecided(
                    reference=decided.reference, state=current.status if current else "gone"
                )
            self._append([event])
            self._events[key] = _Event(
                kind="kyc_webhook",
                slack_user_id=None,
                received_at=decided.decided_at,
                done_at=decided.decided_at,
            )
            self._verifications[decided.reference] = replace(
                current,
                status=decided.status,
                document_type=decided.document_type,
                verified_by=decided.verified_by,
                external_reference=decided.external_reference,
                reason=decided.reason,
                decided_at=decided.decided_at,
            )

    def _erasable(self, contractor: Contractor, finished_before: datetime) -> bool:
        return (
            contractor.state in (State.REVOKED, State.REJECTED)
            and contractor.updated_at < finished_before
            and contractor.erased_at is None
        )

    # -- retention (Erasure) -------------------------------------------------------------

    def erasable(self, *, finished_before: datetime) -> list[str]:
        """Finished records to erase, oldest change first."""
        finished_before = utc(finished_before)
        with self._lock:
            due = [c for c in self._contractors.values() if self._erasable(c, finished_before)]
        return [c.id for c in sorted(due, key=lambda c: (c.updated_at, c.id))]

    def erase_personal_data(
        self, contractor_ids: list[str], *, finished_before: datetime, events: list[AuditEntry]
    ) -> None:
        """Blank the personal fields of those still erasable, drop their checks, links,
        verification references and handled departure events; append their events."""
        finished_before = utc(finished_before)
        at = utc(events[0].at)
        with self._lock:
            erased = {
                c.id: c
                for i in dict.fromkeys(contractor_ids)
                if (c := self._contractors.get(i)) is not None
                and self._erasable(c, finished_before)
            }
            if not erased:
                return
            self._append([e for e in events if e.contractor_id in erased])
            for contractor in erased.values():
                self._contractors[contractor.id] = replace(
                    contractor, email="", display_name="", justification="", erased_at=at
                )
                self._checks.pop(contractor.id, None)
            self._links = {
                h: link for h, link in self._links.items() if link.contractor_id not in erased
            }
            for reference, verification in list(self._verifications.items()):
                if verification.contractor_id in erased:
                    self._verifications[reference] = replace(
                        verification, external_reference=None, reason=""
                    )
            users = {c.slack_user_id for c in erased.values()}
            self._events = {
                event_id: row
                for event_id, row in self._events.items()
                if not (
                    row.slack_user_id in users
                    and row.done_at is not None
                    and row.done_at < finished_before
                )
            }

    # -- audit (AuditTrail) --------------------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> AuditEvent:
        """Append an event that accompanies no state change."""
        with self._lock:
            return self._append([entry])[0]

    def audit_events(self, *, after_seq: int = 0) -> Iterator[AuditEvent]:
        """Events after ``after_seq``, ascending (a snapshot taken at the first step)."""
        with self._lock:
            events = [e for e in self._audit if e.seq > after_seq]
        yield from events

    def last_audit_event(self, *, action: str | None = None) -> AuditEvent | None:
        """The newest event (of ``action``, when given)."""
        with self._lock:
            return next(
                (e for e in reversed(self._audit) if action in (None, e.entry.action)), None
            )

    # -- health --------------------------------------------------------------------------

    def check_health(self) -> None:
        """Memory always answers."""

    # -- plumbing ------------------------------------------------------------------------

    def _append(self, entries: Sequence[AuditEntry]) -> list[AuditEvent]:
        """Chain ``entries`` after the last event (caller holds the lock). Every entry is
        checked before any is appended, so a refused one appends nothing."""
        stored = [replace(e, at=utc(e.at), details=_json(e.details)) for e in entries]
        seq, prev_hash = (self._audit[-1].seq, self._audit[-1].hash) if self._audit else (0, "")
        prev_hash = prev_hash or GENESIS_HASH
        appended = []
        for entry in stored:
            seq += 1
            hash_ = chain_hash(seq=seq, prev_hash=prev_hash, entry=entry)
            appended.append(AuditEvent(seq=seq, entry=entry, prev_hash=prev_hash, hash=hash_))
            prev_hash = hash_
        self._audit.extend(appended)
        return appended

    @staticmethod
    def _ordered(contractors: Iterable[Contractor]) -> list[Contractor]:
        return sorted(contractors, key=lambda c: (c.created_at, c.id))


class MemoryLeases:
    """``bot.core.interfaces.Leases`` in memory (held to ``SqlLeases`` by the contract)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leases: dict[str, Lease] = {}

    def take_lease(self, name: str, *, holder: str, now: datetime, ttl: timedelta) -> Lease:
        """Take or extend the lease when free, lapsed or ``holder``'s; return it as it is."""
        now = utc(now)
        with self._lock:
            current = self._leases.get(name)
            if current is None or current.expires_at <= now or current.holder == holder:
                current = Lease(name=name, holder=holder, expires_at=now + ttl)
                self._leases[name] = current
            return current

    def release_lease(self, name: str, *, holder: str) -> None:
        """Give it up if ``holder`` still holds it."""
        with self._lock:
            current = self._leases.get(name)
            if current is not None and current.holder == holder:
                del self._leases[name]
