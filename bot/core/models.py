"""Domain records. Storage maps its tables to and from these; the core never sees a table.

None of these types holds a secret in clear: links are stored as a hash, and the Vault wrapping
token only as ciphertext sealed with a key derived from the link secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from bot.core.states import State

Outcome = Literal["pass", "fail", "pending"]
VerificationStatus = Literal["pending", "passed", "failed"]
SecondFactor = Literal["login_mfa", "totp_engine"]


@dataclass(frozen=True)
class Contractor:
    """One onboarding request and, once issued, the person's credential."""

    id: str
    slack_user_id: str
    email: str
    display_name: str
    country: str
    end_date: date
    role: str
    requested_by: str
    justification: str
    state: State
    created_at: datetime
    updated_at: datetime
    approved_by: str | None = None
    username: str | None = None
    """The current Vault userpass username (``None`` before issue)."""
    failed_totp_attempts: int = 0
    version: int = 1
    erased_at: datetime | None = None
    """When the retention period ended and the person's data was erased from this record."""


@dataclass(frozen=True)
class CheckResult:
    """What one identity check concluded, why (in words a manager understands), and on which
    evidence. Evidence is a few facts (a domain, a country, who attested), never a document."""

    check: str
    outcome: Outcome
    reason: str
    evidence: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IdentityVerification:
    """A KYC verification of one request: an approver's attestation or an external service's
    result. Only who, when, how and a reference are kept; never document numbers or images."""

    reference: str
    """credbot's reference (``kyc_`` and 128 random bits); the webhook names it."""
    contractor_id: str
    method: Literal["attestation", "webhook"]
    status: VerificationStatus
    created_at: datetime
    document_type: str | None = None
    verified_by: str | None = None
    """The attesting approver's Slack user ID, or the name the verification service gave."""
    external_reference: str | None = None
    """The attester's optional note (a ticket ID) or the service's own verification ID."""
    reason: str = ""
    decided_at: datetime | None = None


@dataclass(frozen=True)
class VaultAccountRecord:
    """Every Vault user credbot ever created, written *before* the Vault call.

    This is the durable intent that lets a sweep find half-made or forgotten accounts; the
    username is the primary key, so a username is never reused.
    """

    username: str
    contractor_id: str
    created_at: datetime
    revoked_at: datetime | None = None
    second_factor: SecondFactor = "login_mfa"
    """``login_mfa``: the MFA secret lives on the account's identity entity. ``totp_engine``:
    issued before login MFA, with a key in the old TOTP engine and no code asked at login;
    the sweep moves such a contractor over by a reissue."""


@dataclass(frozen=True)
class AccountDrift:
    """Where Vault's users and the database's records disagree; usernames sorted."""

    orphans: tuple[str, ...]
    """Vault users the database has no unrevoked record of."""
    missing: tuple[str, ...]
    """Usernames of issued/active contractors that Vault does not list."""


@dataclass(frozen=True)
class RevocationTargets:
    """What revoking a contractor must destroy, read in one go."""

    accounts: tuple[VaultAccountRecord, ...]
    """Their Vault accounts not yet recorded as revoked, oldest first."""
    live_links: tuple[LinkRecord, ...]
    """Their links neither claimed nor invalidated (their wrapping tokens may be unused)."""


@dataclass(frozen=True)
class LinkRecord:
    """A one-time enrollment link. Only the SHA-256 of the link secret is kept."""

    link_hash: str
    contractor_id: str
    username: str
    sealed_delivery: str
    """The password's and the MFA secret's wrapping tokens, AES-GCM encrypted under a key
    derived from the link secret (``bot.core.links.seal_delivery``)."""
    wrapping_accessor: str
    """The password wrapping token's accessor."""
    mfa_wrapping_accessor: str | None
    """The MFA secret wrapping token's accessor; ``None`` for a link made before login MFA,
    which can no longer be revealed."""
    confirmation_digest: str
    """HMAC of the short confirmation code sent next to the link, keyed by the link secret."""
    created_at: datetime
    expires_at: datetime
    claimed_at: datetime | None = None
    invalidated_at: datetime | None = None
    failed_confirmations: int = 0
    proof_digest: str | None = None
    """HMAC of the token the reveal handed back (keyed by the link secret): only whoever
    revealed can take the proof step."""

    @property
    def wrapping_accessors(self) -> tuple[str, ...]:
        """The accessors of every wrapping token this link delivers."""
        return tuple(a for a in (self.wrapping_accessor, self.mfa_wrapping_accessor) if a)


@dataclass(frozen=True)
class DepartureEvent:
    """A Slack event that may mean someone left, recorded before it was acknowledged."""

    event_id: str
    kind: str
    slack_user_id: str
    received_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """An audit event as the core writes it: who, what, when, why. Never a secret."""

    at: datetime
    actor: str
    action: str
    contractor_id: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEvent:
    """An audit event as stored: the entry plus its place in the hash chain."""

    seq: int
    entry: AuditEntry
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class SignedAnchor:
    """The audit chain's head (``seq`` and ``hash`` of its newest event) as signed outside the
    database (see ``bot.core.anchoring``). Not a secret: the signature proves, it unlocks
    nothing."""

    seq: int
    hash: str
    signature: str
    signed_at: datetime


@dataclass(frozen=True)
class Lease:
    """Who holds a named job (the scheduled sweep) and until when, unless they extend it."""

    name: str
    holder: str
    expires_at: datetime
