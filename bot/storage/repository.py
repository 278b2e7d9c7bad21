"""``SqlStore``: the ``ContractorStore`` the core runs on, over SQLite or PostgreSQL."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.core.errors import (
    AuditWriteConflict,
    ChangeRefused,
    ContractorNotFound,
    DeliveryReplayed,
    DuplicateContractor,
    StaleState,
)
from bot.core.models import (
    AccountDrift,
    AuditEntry,
    AuditEvent,
    CheckResult,
    Contractor,
    ContractorChanges,
    DepartureEvent,
    IdentityVerification,
    LinkRecord,
    RevocationTargets,
    StateChange,
    VaultAccountRecord,
)
from bot.core.states import CONTRACT_END_STATES, State
from bot.storage import erasure, identity
from bot.storage.audit_log import (
    append_event,
    append_events,
    is_seq_conflict,
    violated_constraint,
)
from bot.storage.changes import apply_changes
from bot.storage.drift import vault_drift
from bot.storage.engine import read_only
from bot.storage.health import check_database
from bot.storage.mapping import (
    contractor_values,
    to_account,
    to_audit_event,
    to_contractor,
    to_link,
    verification_values,
)
from bot.storage.tables import (
    LIVE_STATE_VALUES,
    audit_events,
    contractors,
    identity_verifications,
    links,
    processed_events,
    vault_accounts,
)

T = TypeVar("T")

AUDIT_STREAM_BATCH = 500
"""Rows fetched per round trip when streaming the audit log."""


class SqlStore:
    """``bot.core.interfaces.ContractorStore`` on SQLAlchemy Core; every method one transaction.

    Writes that append to the audit chain are retried as a whole (up to ``max_attempts``) when a
    concurrent appender took the same ``seq``; then ``AuditWriteConflict`` is raised.
    ``serialize_audit=False`` turns off the PostgreSQL advisory lock (see ``append_event``) and
    leaves only the retry, which the tests use to exercise that path.
    """

    def __init__(
        self, *, engine: Engine, max_attempts: int = 10, serialize_audit: bool = True
    ) -> None:
        self._engine = engine
        self._max_attempts = max_attempts
        self._serialize_audit = serialize_audit
        self.audit_retries = 0
        """How many transactions were retried after an audit ``seq`` collision (for metrics)."""

    # -- contractors ---------------------------------------------------------------------

    def add_contractor(self, contractor: Contractor, *, event: AuditEntry) -> Contractor:
        """Insert ``contractor`` and append ``event``; return the stored contractor.

        Raise ``DuplicateContractor`` if a live contractor has the same Slack user id or email.
        The check runs in the inserting transaction for a precise error; the partial unique
        indexes on live rows make the insert itself fail when a concurrent request slipped in
        between (PostgreSQL READ COMMITTED), which is then reported the same way.
        """

        def work(connection: Connection) -> Contractor:
            _raise_if_duplicate(connection, contractor)
            connection.execute(sa.insert(contractors).values(contractor_values(contractor)))
            self._append(connection, event)
            return _load_contractor(connection, contractor.id)

        try:
            return self._write(work)
        except IntegrityError as error:
            if not _is_live_index_hit(error):
                raise
            with self._reader() as connection:
                _raise_if_duplicate(connection, contractor)
            raise

    def get_contractor(self, contractor_id: str) -> Contractor:
        """Return the contractor or raise ``ContractorNotFound``."""
        with self._reader() as connection:
            return _load_contractor(connection, contractor_id)

    def find_live_by_slack_user(self, slack_user_id: str) -> Contractor | None:
        """Return the contractor in a live state for this Slack user, if any."""
        with self._reader() as connection:
            row = connection.execute(
                sa.select(contractors).where(
                    contractors.c.slack_user_id == slack_user_id,
                    contractors.c.state.in_(LIVE_STATE_VALUES),
                )
            ).first()
        return None if row is None else to_contractor(row)

    def list_contractors(
        self,
        *,
        states: Collection[State] | None = None,
        requested_by: str | None = None,
        slack_user_ids: Collection[str] | None = None,
    ) -> list[Contractor]:
        """Contractors ordered by creation time (then id), optionally filtered."""
        query = sa.select(contractors).order_by(contractors.c.created_at, contractors.c.id)
        if slack_user_ids is not None:
            query = query.where(contractors.c.slack_user_id.in_(list(slack_user_ids)))
        if states is not None:
            query = query.where(contractors.c.state.in_([state.value for state in states]))
        if requested_by is not None:
            query = query.where(contractors.c.requested_by == requested_by)
        with self._reader() as connection:
            return [to_contractor(row) for row in connection.execute(query)]

    def count_by_state(self) -> dict[State, int]:
        """One ``GROUP BY state`` query: how many contractors are in each state."""
        query = sa.select(contractors.c.state, sa.func.count()).group_by(contractors.c.state)
        with self._reader() as connection:
            return {State(state): int(count) for state, count in connection.execute(query)}

    def vault_drift(self, vault_usernames: Iterable[str]) -> AccountDrift:
        """One read transaction (see ``bot.storage.drift``), rolled back at the end."""
        with self._reader() as connection:
            return vault_drift(connection, vault_usernames)

    def stale_accounts(self, *, stale_before: datetime) -> list[VaultAccountRecord]:
        """One query joining accounts to their contractors; only stale rows are loaded."""
        in_use_states = [State.ISSUED.value, State.ACTIVE.value]
        stale = (
            sa.select(vault_accounts)
            .join(contractors, contractors.c.id == vault_accounts.c.contractor_id)
            .where(
                vault_accounts.c.revoked_at.is_(None),
                vault_accounts.c.created_at < stale_before,
                contractors.c.state != State.REVOKING.value,
                sa.not_(
                    sa.and_(
                        contractors.c.state.in_(in_use_states),
                        sa.func.coalesce(contractors.c.username, "") == vault_accounts.c.username,
                    )
                ),
            )
            .order_by(vault_accounts.c.created_at, vault_accounts.c.username)
        )
        with self._reader() as connection:
            return [to_account(row) for row in connection.execute(stale)]

    def on_totp_engine(self) -> list[Contractor]:
        """``issued`` or ``active`` contractors whose current account was issued before login
        MFA (``second_factor = totp_engine``), oldest first: one query."""
        legacy = (
            sa.select(contractors)
            .join(vault_accounts, vault_accounts.c.username == contractors.c.username)
            .where(
                contractors.c.state.in_([State.ISSUED.value, State.ACTIVE.value]),
                vault_accounts.c.second_factor == "totp_engine",
                vault_accounts.c.revoked_at.is_(None),
            )
            .order_by(contractors.c.created_at, contractors.c.id)
        )
        with self._reader() as connection:
            return [to_contractor(row) for row in connection.execute(legacy)]

    def check_health(self) -> None:
        """``SELECT 1`` and the schema's revision (see ``check_database``); raises the
        driver's error when the database does not answer, ``SchemaNotCurrent`` when it must
        be upgraded first."""
        check_database(self._engine)

    def apply(
        self,
        contractor_id: str,
        *,
        expected: State,
        changes: ContractorChanges,
        event: AuditEntry,
    ) -> Contractor:
        """Apply ``changes`` if the contractor is still ``expected``; append ``event``.

        One conditional ``UPDATE ... WHERE id = :id AND state = :expected`` that also bumps
        ``version`` and sets ``updated_at`` to ``event.at`` (the core's clock, not the
        database's). Raise ``StaleState`` when no row matched but the contractor exists,
        ``ContractorNotFound`` when it does not; either way nothing changes.
        """
        change = StateChange(contractor_id, expected=expected, changes=changes, event=event)
        (outcome,) = self.apply_many([change])
        if isinstance(outcome, Contractor):
            return outcome
        raise outcome

    def apply_many(self, changes: Sequence[StateChange]) -> list[Contractor | ChangeRefused]:
        """``apply`` for several contractors in one transaction; one outcome per change, in
        order: the new row, or the ``StaleState``/``ContractorNotFound`` that change met (it
        then changed nothing, and the others still apply). The events of the applied changes
        are appended in order with one append (see ``append_events``), so a batch holds the
        audit lock as briefly as one change does."""

        def work(connection: Connection) -> list[Contractor | ChangeRefused]:
            outcomes = apply_changes(connection, changes)
            applied = [
                change.event
                for change, outcome in zip(changes, outcomes, strict=True)
                if isinstance(outcome, Contractor)
            ]
            append_events(connection, applied, serialize=self._serialize_audit)
            return outcomes

        return self._write(work) if changes else []

    # -- Vault accounts ------------------------------------------------------------------

    def due_for_sweep(self, *, now: datetime, today: date) -> list[Contractor]:
        """Revoking contractors, issued ones whose current link expired unused, and ended
        contracts that may still hold or get access; never those claimed by a live sweep."""
        expired_link = (
            sa.select(links.c.link_hash)
            .where(
                links.c.contractor_id == contractors.c.id,
                links.c.username == contractors.c.username,
                links.c.claimed_at.is_(None),
                links.c.invalidated_at.is_(None),
                links.c.expires_at <= now,
            )
            .exists()
        )
        due = sa.or_(
            contractors.c.state == State.REVOKING.value,
            sa.and_(contractors.c.state == State.ISSUED.value, expired_link),
            sa.and_(
                contractors.c.end_date < today,
                contractors.c.state.in_([s.value for s in CONTRACT_END_STATES]),
            ),
        )
        unclaimed = sa.or_(
            contractors.c.sweep_claimed_until.is_(None), contractors.c.sweep_claimed_until <= now
        )
        query = (
            sa.select(contractors)
            .where(due, unclaimed)
            .order_by(contractors.c.created_at, contractors.c.id)
        )
        with self._reader() as connection:
            return [to_contractor(row) for row in connection.execute(query)]

    def claim_for_sweep(
        self, contractor_id: str, *, worker: str, now: datetime, lease: timedelta
    ) -> Contractor | None:
        """Claim one contractor (see ``claim_many_for_sweep``); ``None`` when we lost."""
        claimed = self.claim_many_for_sweep([contractor_id], worker=worker, now=now, lease=lease)
        return claimed[0] if claimed else None

    def claim_many_for_sweep(
        self, contractor_ids: Collection[str], *, worker: str, now: datetime, lease: timedelta
    ) -> list[Contractor]:
        """One conditional UPDATE ... RETURNING over the ids: each row is claimed on its own
        when its claim is free or lapsed; return the contractors we won, in no set order."""
        with self._engine.begin() as connection:
            rows = connection.execute(
                sa.update(contractors)
                .where(
                    contractors.c.id.in_(list(contractor_ids)),
                    sa.or_(
                        contractors.c.sweep_claimed_until.is_(None),
                        contractors.c.sweep_claimed_until <= now,
                    ),
                )
                .values(sweep_claimed_by=worker, sweep_claimed_until=now + lease)
                .returning(*contractors.c)
            )
            return [to_contractor(row) for row in rows]

    def release_sweep_claim(self, contractor_id: str, *, worker: str) -> None:
        """Clear the claim if it is still this worker's."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(contractors)
                .where(contractors.c.id == contractor_id, contractors.c.sweep_claimed_by == worker)
                .values(sweep_claimed_by=None, sweep_claimed_until=None)
            )

    def add_account(self, account: VaultAccountRecord) -> None:
        """Record a Vault username before it is created in Vault.

        A username already recorded raises ``sqlalchemy.exc.IntegrityError``: usernames are
        never reused.
        """
        with self._engine.begin() as connection:
            connection.execute(
                sa.insert(vault_accounts).values(
                    username=account.username,
                    contractor_id=account.contractor_id,
                    created_at=account.created_at,
                    revoked_at=account.revoked_at,
                )
            )

    def mark_account_revoked(self, username: str, *, at: datetime, event: AuditEntry) -> None:
        """Record that the Vault account is gone and append ``event``, in one transaction;
        keeps the first ``revoked_at`` (idempotent). An unknown username only appends."""

        def work(connection: Connection) -> None:
            connection.execute(
                sa.update(vault_accounts)
                .where(vault_accounts.c.username == username, vault_accounts.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            self._append(connection, event)

        self._write(work)

    def unrevoked_accounts(self, contractor_id: str | None = None) -> list[VaultAccountRecord]:
        """Accounts not yet proven revoked, for one contractor or all, oldest first."""
        query = (
            sa.select(vault_accounts)
            .where(vault_accounts.c.revoked_at.is_(None))
            .order_by(vault_accounts.c.created_at, vault_accounts.c.username)
        )
        if contractor_id is not None:
            query = query.where(vault_accounts.c.contractor_id == contractor_id)
        with self._reader() as connection:
            return [to_account(row) for row in connection.execute(query)]

    # -- links ---------------------------------------------------------------------------

    def add_link(self, link: LinkRecord) -> None:
        """Store a new link (its hash and the sealed wrapping token, never the link secret)."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.insert(links).values(
                    {column.name: getattr(link, column.name) for column in links.columns}
                )
            )

    def get_link(self, link_hash: str) -> LinkRecord | None:
        """Return the link with this hash, if any."""
        with self._reader() as connection:
            row = connection.execute(sa.select(links).where(links.c.link_hash == link_hash)).first()
        return None if row is None else to_link(row)

    def revocation_targets(self, contractor_id: str) -> RevocationTargets:
        """Unrevoked accounts and live links of the contractor, oldest first, one snapshot."""
        return self.revocation_targets_of([contractor_id])[contractor_id]

    def revocation_targets_of(
        self, contractor_ids: Collection[str]
    ) -> dict[str, RevocationTargets]:
        """``revocation_targets`` of several contractors with the same two queries; every id
        is a key (unknown ones map to empty targets)."""
        ids = list(contractor_ids)
        accounts = (
            sa.select(vault_accounts)
            .where(vault_accounts.c.contractor_id.in_(ids), vault_accounts.c.revoked_at.is_(None))
            .order_by(vault_accounts.c.created_at, vault_accounts.c.username)
        )
        live_links = (
            sa.select(links)
            .where(
                links.c.contractor_id.in_(ids),
                links.c.claimed_at.is_(None),
                links.c.invalidated_at.is_(None),
            )
            .order_by(links.c.created_at, links.c.link_hash)
        )
        found_accounts: dict[str, list[VaultAccountRecord]] = {i: [] for i in ids}
        found_links: dict[str, list[LinkRecord]] = {i: [] for i in ids}
        with self._reader() as connection:
            for row in connection.execute(accounts):
                found_accounts[row.contractor_id].append(to_account(row))
            for row in connection.execute(live_links):
                found_links[row.contractor_id].append(to_link(row))
        return {
            i: RevocationTargets(
                accounts=tuple(found_accounts[i]), live_links=tuple(found_links[i])
            )
            for i in ids
        }

    def claim_link(
        self, link_hash: str, *, now: datetime, proof_digest: str, max_failures: int
    ) -> bool:
        """Mark the link claimed at ``now`` with the reveal's ``proof_digest``, if unclaimed,
        not invalidated, unexpired and under ``max_failures`` wrong confirmation codes.

        One conditional UPDATE, so the database decides: of any number of concurrent callers
        exactly one sees a row count of 1 and gets ``True``, and a link that wrong codes
        locked meanwhile is never claimed by a racing right one.
        """
        with self._engine.begin() as connection:
            result = connection.execute(
                sa.update(links)
                .where(
                    links.c.link_hash == link_hash,
                    links.c.claimed_at.is_(None),
                    links.c.invalidated_at.is_(None),
                    links.c.expires_at > now,
                    links.c.failed_confirmations < max_failures,
                )
                .values(claimed_at=now, proof_digest=proof_digest)
            )
            return result.rowcount == 1

    def release_link(self, link_hash: str, *, claimed_at: datetime) -> None:
        """Undo the claim made at ``claimed_at`` (one conditional UPDATE): Vault did not answer
        during the unwrap, so an outage must not burn the link. Another claim is left alone."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(links)
                .where(links.c.link_hash == link_hash, links.c.claimed_at == claimed_at)
                .values(claimed_at=None, proof_digest=None)
            )

    def record_failed_confirmation(
        self, link_hash: str, *, limit: int, now: datetime
    ) -> int | None:
        """Count one wrong confirmation code on an unclaimed, valid link, invalidating it at
        ``now`` when the count reaches ``limit``: one atomic UPDATE, so counting and locking are
        one step and no concurrent code is lost. Return the new count, or ``None`` when the
        link was claimed or invalidated meanwhile (nothing counted)."""

        def work(connection: Connection) -> int | None:
            count = connection.execute(
                sa.update(links)
                .where(
                    links.c.link_hash == link_hash,
                    links.c.claimed_at.is_(None),
                    links.c.invalidated_at.is_(None),
                )
                .values(
                    failed_confirmations=links.c.failed_confirmations + 1,
                    invalidated_at=sa.case(
                        (links.c.failed_confirmations + 1 >= limit, now),
                        else_=links.c.invalidated_at,
                    ),
                )
                .returning(links.c.failed_confirmations)
            ).scalar()
            return None if count is None else int(count)

        return self._write(work)

    def count_failed_proof(self, contractor_id: str, *, event: AuditEntry) -> int:
        """Count one failed enrolment login of an ``issued`` contractor (one conditional
        ``UPDATE ... SET failed_totp_attempts = failed_totp_attempts + 1``, so concurrent
        failures never lose a count) and append ``event``, in one transaction; return the new
        count. Raise ``StaleState`` when the contractor is no longer ``issued``."""

        def work(connection: Connection) -> int:
            count = connection.execute(
                sa.update(contractors)
                .where(contractors.c.id == contractor_id, contractors.c.state == State.ISSUED.value)
                .values(
                    failed_totp_attempts=contractors.c.failed_totp_attempts + 1,
                    version=contractors.c.version + 1,
                    updated_at=event.at,
                )
                .returning(contractors.c.failed_totp_attempts)
            ).scalar()
            if count is None:
                raise StaleState(contractor_id=contractor_id, expected=State.ISSUED.value)
            self._append(connection, event)
            return int(count)

        return self._write(work)

    def invalidate_links(self, contractor_id: str, *, at: datetime) -> None:
        """Make every unclaimed, still valid link of this contractor unusable from ``at`` on."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(links)
                .where(
                    links.c.contractor_id == contractor_id,
                    links.c.claimed_at.is_(None),
                    links.c.invalidated_at.is_(None),
                )
                .values(invalidated_at=at)
            )

    # -- identity checks (statements in ``bot.storage.identity``) --------------------------

    def check_results(self, contractor_id: str) -> list[CheckResult]:
        """The identity checks last run on the contractor, in the order they ran."""
        with self._reader() as connection:
            return identity.results_of(connection, contractor_id)

    def live_duplicates(self, contractor: Contractor) -> list[Contractor]:
        """Other live contractors with the same Slack user or email (one person, one
        credential)."""
        with self._reader() as connection:
            return identity.live_duplicates(connection, contractor)

    def add_verification(self, verification: IdentityVerification, *, event: AuditEntry) -> None:
        """Insert ``verification`` and append ``event`` in one transaction."""

        def work(connection: Connection) -> None:
            connection.execute(
                sa.insert(identity_verifications).values(verification_values(verification))
            )
            self._append(connection, event)

        self._write(work)

    def verifications(self, contractor_id: str) -> list[IdentityVerification]:
        """The contractor's identity verifications, newest first."""
        with self._reader() as connection:
            return identity.verifications_of(connection, contractor_id)

    def find_verification(self, reference: str) -> IdentityVerification | None:
        """The verification with this reference, if any."""
        with self._reader() as connection:
            return identity.find(connection, reference)

    def decide_verification(
        self, decided: IdentityVerification, *, delivery: str, event: AuditEntry
    ) -> None:
        """Record a service's result on a pending verification, with the delivery that
        carried it and ``event``, in one transaction.

        Raises ``DeliveryReplayed`` when ``delivery`` was recorded before (its primary key
        decides, so two concurrent copies apply once), then ``VerificationDecided`` when the
        request is no longer ``verifying`` or the verification no longer pending; nothing
        changes then.
        """

        def work(connection: Connection) -> None:
            identity.decide(connection, decided, delivery=delivery)
            self._append(connection, event)

        try:
            self._write(work)
        except IntegrityError as error:
            if "processed_events" not in violated_constraint(error):
                raise
            raise DeliveryReplayed(f"delivery {delivery[:12]} was received before") from None

    # -- retention (statements in ``bot.storage.erasure``) ---------------------------------

    def erasable(self, *, finished_before: datetime) -> list[str]:
        """IDs of revoked or rejected records last changed before ``finished_before`` whose
        personal data is not erased yet, oldest first."""
        with self._reader() as connection:
            return erasure.due(connection, finished_before)

    def erase_personal_data(
        self, contractor_ids: list[str], *, finished_before: datetime, events: list[AuditEntry]
    ) -> None:
        """Erase those records' personal data (``bot.storage.erasure.erase``) and append the
        events of the records actually erased, in one transaction."""

        def work(connection: Connection) -> None:
            at = events[0].at
            erased = erasure.erase(
                connection, contractor_ids, finished_before=finished_before, at=at
            )
            for event in events:
                if event.contractor_id in erased:
                    self._append(connection, event)

        self._write(work)

    # -- audit ---------------------------------------------------------------------------

    def record_event(self, event: DepartureEvent) -> bool:
        """Insert unless the ``event_id`` exists (the primary key decides, so concurrent
        deliveries of one event record it once)."""
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.insert(processed_events).values(
                        event_id=event.event_id,
                        kind=event.kind,
                        slack_user_id=event.slack_user_id,
                        received_at=event.received_at,
                    )
                )
        except IntegrityError:
            return False
        return True

    def pending_events(self) -> list[DepartureEvent]:
        """Events with no ``done_at``, oldest first."""
        query = (
            sa.select(processed_events)
            .where(processed_events.c.done_at.is_(None))
            .order_by(processed_events.c.received_at, processed_events.c.event_id)
        )
        with self._reader() as connection:
            return [
                DepartureEvent(
                    event_id=row.event_id,
                    kind=row.kind,
                    slack_user_id=row.slack_user_id or "",
                    received_at=row.received_at,
                )
                for row in connection.execute(query)
            ]

    def mark_event_done(self, event_id: str, *, at: datetime) -> None:
        """Set ``done_at`` once (idempotent)."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(processed_events)
                .where(
                    processed_events.c.event_id == event_id, processed_events.c.done_at.is_(None)
                )
                .values(done_at=at)
            )

    def append_audit(self, entry: AuditEntry) -> AuditEvent:
        """Append an event that accompanies no state change; return it as stored."""
        return self._write(lambda connection: self._append(connection, entry))

    def audit_events(self, *, after_seq: int = 0) -> Iterator[AuditEvent]:
        """Every audit event with ``seq`` above ``after_seq``, in ascending ``seq``, streamed
        in batches.

        PostgreSQL uses a server-side cursor; SQLite steps its cursor. The generator holds one
        connection (and a read snapshot) until it is exhausted or closed.
        """
        with self._reader() as connection:
            result = connection.execution_options(yield_per=AUDIT_STREAM_BATCH).execute(
                sa.select(audit_events)
                .where(audit_events.c.seq > after_seq)
                .order_by(audit_events.c.seq)
            )
            for row in result:
                yield to_audit_event(row)

    def last_audit_event(self, *, action: str | None = None) -> AuditEvent | None:
        """The event with the highest ``seq`` (of ``action``, when given), or ``None``. Without
        ``action`` one indexed read; with it the newest rows are read until one matches."""
        query = sa.select(audit_events).order_by(audit_events.c.seq.desc()).limit(1)
        if action is not None:
            query = query.where(audit_events.c.action == action)
        with self._reader() as connection:
            row = connection.execute(query).first()
        return None if row is None else to_audit_event(row)

    # -- plumbing ------------------------------------------------------------------------

    def _append(self, connection: Connection, entry: AuditEntry) -> AuditEvent:
        return append_event(connection, entry, serialize=self._serialize_audit)

    def _reader(self) -> _ReadTransaction:
        return _ReadTransaction(self._engine)

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retried whole on an audit ``seq`` collision."""
        for attempt in range(self._max_attempts):
            try:
                with self._engine.begin() as connection:
                    return work(connection)
            except IntegrityError as error:
                if not is_seq_conflict(error):
                    raise
                self.audit_retries += 1
                # Jittered backoff so colliding appenders do not collide again in lockstep.
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311
        raise AuditWriteConflict(
            f"audit append still colliding after {self._max_attempts} attempts"
        )


class _ReadTransaction:
    """A read-only transaction (on SQLite a deferred BEGIN, so it never blocks writers)."""

    def __init__(self, engine: Engine) -> None:
        self._connection = read_only(engine.connect())

    def __enter__(self) -> Connection:
        self._connection.begin()
        return self._connection

    def __exit__(self, *exc_info: object) -> None:
        # Reads commit nothing; rollback just ends the snapshot.
        self._connection.close()


def _load_contractor(connection: Connection, contractor_id: str) -> Contractor:
    row = connection.execute(
        sa.select(contractors).where(contractors.c.id == contractor_id)
    ).first()
    if row is None:
        raise ContractorNotFound(contractor_id)
    return to_contractor(row)


def _raise_if_duplicate(connection: Connection, contractor: Contractor) -> None:
    """Raise ``DuplicateContractor`` naming the live row with this Slack user id or email."""
    rows = connection.execute(
        sa.select(contractors.c.id, contractors.c.slack_user_id)
        .where(
            contractors.c.state.in_(LIVE_STATE_VALUES),
            sa.or_(
                contractors.c.slack_user_id == contractor.slack_user_id,
                contractors.c.email == contractor.email,
            ),
        )
        .order_by(contractors.c.created_at)
    ).all()
    for row in rows:
        if row.slack_user_id == contractor.slack_user_id:
            raise DuplicateContractor(existing_id=row.id, field="slack_user_id")
    if rows:
        raise DuplicateContractor(existing_id=rows[0].id, field="email")


def _is_live_index_hit(error: IntegrityError) -> bool:
    """Whether ``error`` is a hit on a live-uniqueness index.

    PostgreSQL names the index; SQLite names the columns (only those indexes are unique on them).
    """
    violated = violated_constraint(error)
    return any(
        marker in violated
        for marker in ("uq_contractors_live_", "contractors.slack_user_id", "contractors.email")
    )
