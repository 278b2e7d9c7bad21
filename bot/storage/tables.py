"""The SQLModel tables. Only ``bot.storage`` sees these; the core gets ``bot.core.models``.

Every table change needs a migration in ``bot/storage/migrations/versions``;
``tests/storage/test_migrations.py`` fails when the two disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from bot.core.states import LIVE_STATES
from bot.storage.types import UtcDateTime

LIVE_STATE_VALUES: tuple[str, ...] = tuple(sorted(state.value for state in LIVE_STATES))
"""The live states as stored, in a fixed order (the partial indexes' predicate is built from it)."""

LIVE_PREDICATE = "state IN ({})".format(", ".join(f"'{value}'" for value in LIVE_STATE_VALUES))
"""SQL predicate "this contractor is live". Plain SQL so it reads the same on SQLite and PostgreSQL.

The values come from ``LIVE_STATES`` (fixed enum values, not input), so interpolation is safe.
Changing ``LIVE_STATES`` therefore needs a migration that recreates the two partial indexes.
"""


def _live_unique_index(name: str, column: str) -> sa.Index:
    """One person, one live credential, enforced by the database itself.

    SQLite (3.8+) and PostgreSQL both support partial unique indexes, so a concurrent second
    request loses on the index even where the check-then-insert could interleave (PostgreSQL in
    READ COMMITTED).
    """
    predicate = sa.text(LIVE_PREDICATE)
    return sa.Index(name, column, unique=True, sqlite_where=predicate, postgresql_where=predicate)


class ContractorRow(SQLModel, table=True):
    """``contractors``: one onboarding request and its credential (see ``Contractor``)."""

    __tablename__: ClassVar[Any] = "contractors"
    __table_args__: ClassVar[Any] = (
        _live_unique_index("uq_contractors_live_slack_user_id", "slack_user_id"),
        _live_unique_index("uq_contractors_live_email", "email"),
    )

    id: str = Field(primary_key=True, max_length=64)
    slack_user_id: str = Field(index=True, max_length=64)
    email: str = Field(index=True, max_length=320)
    display_name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    end_date: date = Field(index=True)
    role: str = Field(max_length=100)
    requested_by: str = Field(max_length=64)
    justification: str = Field(sa_type=sa.Text)
    state: str = Field(index=True, max_length=32)
    created_at: datetime = Field(sa_type=UtcDateTime, index=True)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    approved_by: str | None = Field(default=None, max_length=64)
    username: str | None = Field(default=None, max_length=128)
    failed_totp_attempts: int = Field(default=0)
    version: int = Field(default=1)
    erased_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sweep_claimed_by: str | None = Field(default=None, max_length=128)
    sweep_claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


class VaultAccountRow(SQLModel, table=True):
    """``vault_accounts``: every Vault username ever created; the primary key forbids reuse."""

    __tablename__: ClassVar[Any] = "vault_accounts"

    username: str = Field(primary_key=True, max_length=128)
    contractor_id: str = Field(foreign_key="contractors.id", index=True, max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    second_factor: str = Field(
        default="login_mfa", max_length=16, sa_column_kwargs={"server_default": "login_mfa"}
    )


class LinkRow(SQLModel, table=True):
    """``links``: one-time enrollment links; only the link secret's hash is stored."""

    __tablename__: ClassVar[Any] = "links"

    link_hash: str = Field(primary_key=True, max_length=128)
    contractor_id: str = Field(foreign_key="contractors.id", index=True, max_length=64)
    username: str = Field(max_length=128)
    sealed_delivery: str = Field(sa_type=sa.Text)
    wrapping_accessor: str = Field(max_length=128)
    mfa_wrapping_accessor: str | None = Field(default=None, max_length=128)
    confirmation_digest: str = Field(max_length=128)
    proof_digest: str | None = Field(default=None, max_length=128)
    failed_confirmations: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    invalidated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class CheckResultRow(SQLModel, table=True):
    """``check_results``: one identity check's outcome (``pass``/``fail``/``pending``)."""

    __tablename__: ClassVar[Any] = "check_results"

    id: int | None = Field(default=None, primary_key=True)
    contractor_id: str = Field(foreign_key="contractors.id", index=True, max_length=64)
    check: str = Field(max_length=64)
    outcome: str = Field(max_length=16)
    reason: str = Field(default="", sa_type=sa.Text)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    at: datetime = Field(sa_type=UtcDateTime)


class IdentityVerificationRow(SQLModel, table=True):
    """``identity_verifications``: KYC attestations and webhook verifications (see
    ``IdentityVerification``); who, when, how and a reference, never a document."""

    __tablename__: ClassVar[Any] = "identity_verifications"

    reference: str = Field(primary_key=True, max_length=64)
    contractor_id: str = Field(foreign_key="contractors.id", index=True, max_length=64)
    method: str = Field(max_length=32)
    status: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UtcDateTime)
    document_type: str | None = Field(default=None, max_length=32)
    verified_by: str | None = Field(default=None, max_length=64)
    external_reference: str | None = Field(default=None, max_length=64)
    reason: str = Field(default="", sa_type=sa.Text)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AuditEventRow(SQLModel, table=True):
    """``audit_events``: the hash chain. ``seq`` is UNIQUE so two appenders cannot both win."""

    __tablename__: ClassVar[Any] = "audit_events"
    __table_args__: ClassVar[Any] = (sa.UniqueConstraint("seq", name="uq_audit_events_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int
    at: datetime = Field(sa_type=UtcDateTime)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    contractor_id: str | None = Field(default=None, index=True, max_length=64)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    reason: str = Field(default="", sa_type=sa.Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class ProcessedEventRow(SQLModel, table=True):
    """``processed_events``: deliveries already handled: Slack ``event_id``s (Slack retries
    deliveries) and signed KYC webhook deliveries (``kyc:`` and the signature's hash)."""

    __tablename__: ClassVar[Any] = "processed_events"

    event_id: str = Field(primary_key=True, max_length=128)
    received_at: datetime = Field(sa_type=UtcDateTime)
    kind: str = Field(max_length=64)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    slack_user_id: str | None = Field(default=None, max_length=64)


class SeenRequestRow(SQLModel, table=True):
    """``seen_requests``: signed requests already accepted (Slack's, by the SHA-256 of their
    timestamp and signature), shared by every replica so a replay to another one is refused;
    each row is forgotten once its request's signature window has passed (``expires_at``)."""

    __tablename__: ClassVar[Any] = "seen_requests"

    digest: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UtcDateTime, index=True)


class LeaseRow(SQLModel, table=True):
    """``leases``: named jobs that one replica at a time may run (the scheduled sweep); a row
    is held by ``holder`` until ``expires_at``, which the holder keeps pushing forward."""

    __tablename__: ClassVar[Any] = "leases"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime = Field(sa_type=UtcDateTime)


class ReviewRoundRow(SQLModel, table=True):
    """``review_rounds``: one access-review round per number; the primary key makes starting
    a round idempotent across replicas."""

    __tablename__: ClassVar[Any] = "review_rounds"

    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    started_at: datetime = Field(sa_type=UtcDateTime)
    deadline: datetime = Field(sa_type=UtcDateTime)


class AccessReviewRow(SQLModel, table=True):
    """``access_reviews``: one contractor in one round (unique), who answers, and the answer."""

    __tablename__: ClassVar[Any] = "access_reviews"
    __table_args__: ClassVar[Any] = (
        sa.UniqueConstraint("round", "contractor_id", name="uq_access_reviews_round_contractor"),
    )

    id: str = Field(primary_key=True, max_length=96)
    round: int = Field(foreign_key="review_rounds.number", index=True)
    contractor_id: str = Field(foreign_key="contractors.id", index=True, max_length=64)
    manager: str = Field(max_length=64)
    recipient: str = Field(max_length=16)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision: str | None = Field(default=None, index=True, max_length=16)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class VaultAuditReaderRow(SQLModel, table=True):
    """``vault_audit_readers``: where credbot stands in Vault's audit log (the SHA-256 of the
    file's first line and the offset after the last whole line taken in), and how many lines
    it could not parse."""

    __tablename__: ClassVar[Any] = "vault_audit_readers"

    name: str = Field(primary_key=True, max_length=64)
    fingerprint: str = Field(max_length=64)
    position: int = Field(sa_type=sa.BigInteger)
    unparseable: int = Field(default=0, sa_type=sa.BigInteger)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class VaultLoginRow(SQLModel, table=True):
    """``vault_logins``: contractor logins read from the audit log (Vault's request id, the
    username, the source address, when), kept only as long as the sharing window needs."""

    __tablename__: ClassVar[Any] = "vault_logins"
    __table_args__ = (sa.Index("ix_vault_logins_username_at", "username", "at"),)

    request_id: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=128)
    remote_address: str = Field(max_length=64)
    at: datetime = Field(sa_type=UtcDateTime, index=True)
    refused: bool = False


class SharingFlagRow(SQLModel, table=True):
    """``sharing_flags``: accounts seen in use from several places, with the evidence
    (``logins``: addresses and times) and the admins' decision."""

    __tablename__: ClassVar[Any] = "sharing_flags"
    __table_args__ = (sa.Index("ix_sharing_flags_username_raised_at", "username", "raised_at"),)

    id: str = Field(primary_key=True, max_length=32)
    username: str = Field(max_length=128)
    contractor_id: str | None = Field(default=None, max_length=64)
    logins: list[dict[str, Any]] = Field(sa_type=JSON)
    reasons: str = Field(max_length=128)
    raised_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(max_length=16)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    alerted: bool = Field(default=False, index=True)


OPEN_CUTOFF_PREDICATE = "status IN ('blocking', 'pending')"
"""An agency cut-off that holds its domain (``bot.core.agencies.OPEN_STATUSES``)."""


class AgencyCutoffRow(SQLModel, table=True):
    """``agency_cutoffs``: requests to cut a whole agency (an email domain) off, and blocks in
    force (``bot.core.agencies.AgencyCutoff``). A partial unique index keeps one open cut-off
    per domain, so two admins asking at once make one record."""

    __tablename__: ClassVar[Any] = "agency_cutoffs"
    __table_args__: ClassVar[Any] = (
        sa.Index(
            "uq_agency_cutoffs_open_domain",
            "domain",
            unique=True,
            sqlite_where=sa.text(OPEN_CUTOFF_PREDICATE),
            postgresql_where=sa.text(OPEN_CUTOFF_PREDICATE),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    domain: str = Field(max_length=253)
    reason: str = Field(sa_type=sa.Text)
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(max_length=16)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    lifted_by: str | None = Field(default=None, max_length=64)
    lifted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


def table(row_class: type[SQLModel]) -> sa.Table:
    """The Core ``Table`` of a row class (queries are written in Core, typed by column)."""
    result = row_class.__table__  # type: ignore[attr-defined]
    assert isinstance(result, sa.Table)
    return result


contractors = table(ContractorRow)
vault_accounts = table(VaultAccountRow)
links = table(LinkRow)
check_results = table(CheckResultRow)
identity_verifications = table(IdentityVerificationRow)
audit_events = table(AuditEventRow)
processed_events = table(ProcessedEventRow)
seen_requests = table(SeenRequestRow)
leases = table(LeaseRow)
review_rounds = table(ReviewRoundRow)
access_reviews = table(AccessReviewRow)
vault_audit_readers = table(VaultAuditReaderRow)
vault_logins = table(VaultLoginRow)
sharing_flags = table(SharingFlagRow)
agency_cutoffs = table(AgencyCutoffRow)

metadata = SQLModel.metadata
"""The metadata Alembic compares migrations against."""
