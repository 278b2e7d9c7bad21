"""Plain data exchanged between the domain core and the Vault package.

Secret-bearing types override ``__repr__`` so that a stray log line or traceback cannot print them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal


@dataclass(frozen=True)
class SetupChange:
    """One thing ``credbot vault init`` creates or changes: ``details`` says how (for an
    ``update``, a diff of what Vault has against what credbot would write)."""

    item: str
    action: Literal["create", "update"]
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContractorTokenRules:
    """What every token a contractor logs in with gets: its TTL, maximum TTL and the CIDRs it
    is bound to. ``credbot vault init`` writes them into the bot's policy (the only values it
    may set on a user) and tunes ``auth/credbot`` to them; ``VaultAccounts`` sets them on every
    user. Both must be built from the same settings (``CREDBOT_TOKEN_TTL``,
    ``CREDBOT_TOKEN_MAX_TTL``, ``CREDBOT_BOUND_CIDRS``)."""

    ttl: timedelta = timedelta(hours=8)
    max_ttl: timedelta = timedelta(hours=12)
    bound_cidrs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.max_ttl < self.ttl:
            raise ValueError("the maximum token TTL must not be shorter than the TTL")


DEFAULT_TOKEN_RULES = ContractorTokenRules()
"""The settings' defaults (``CREDBOT_TOKEN_TTL=8h``, ``CREDBOT_TOKEN_MAX_TTL=12h``, no CIDRs)."""


@dataclass(frozen=True)
class Delivery:
    """The two single-use wrapping tokens that carry a new account to its contractor: the
    password (wrapped at ``credbot-pending/data/<username>``) and the login-MFA secret (wrapped
    by Vault at ``identity/mfa/method/totp/admin-generate``)."""

    password: str = field(repr=False)
    mfa_secret: str = field(repr=False)


@dataclass(frozen=True)
class IssuedAccount:
    """What credbot may keep after issuing an account: nothing here unlocks anything alone.

    ``delivery`` is the exception: its tokens are single-use and only ever stored encrypted
    under a key derived from the contractor's link secret (see ``bot.core.links``).
    """

    username: str
    delivery: Delivery = field(repr=False)
    wrapping_accessors: tuple[str, str]
    """The accessors of the password and MFA-secret wrapping tokens, in that order."""
    wrap_expires_at: datetime


@dataclass(frozen=True)
class AccountSecrets:
    """The secrets a contractor sees exactly once, unwrapped from Vault. ``totp_uri`` labels
    the account ``<issuer>:<username>`` (Vault's own label is the entity id)."""

    username: str
    password: str = field(repr=False)
    totp_uri: str = field(repr=False)
    totp_secret: str = field(repr=False)


@dataclass(frozen=True)
class RevocationProof:
    """Evidence, read back from Vault, that an account no longer grants anything."""

    username: str
    user_absent: bool
    entity_absent: bool
    """The identity entity ``credbot-<username>`` is gone, and with it the login-MFA secret it
    held (destroyed first with ``admin-destroy``)."""
    live_leases: int
    legacy_totp_key_absent: bool | None = None
    """For an account issued before login MFA: its key in the old TOTP engine is gone.
    ``None`` for every other account (nothing was there to read)."""

    @property
    def complete(self) -> bool:
        """True when no login, token or second factor of the account survives."""
        return (
            self.user_absent
            and self.entity_absent
            and self.live_leases == 0
            and self.legacy_totp_key_absent is not False
        )


@dataclass(frozen=True)
class WrapInfo:
    """A response-wrapping token as Vault describes it (``wrap_info`` / ``sys/wrapping/lookup``).

    ``token`` is empty when the information came from a lookup, which never returns it.
    """

    token: str = field(repr=False)
    accessor: str
    creation_path: str
    creation_time: datetime
    ttl: int

    @classmethod
    def from_response(cls, info: dict[str, object], *, token: str = "") -> WrapInfo:
        """Build from Vault's ``wrap_info`` block or a ``sys/wrapping/lookup`` ``data`` block."""
        raw_time = str(info.get("creation_time") or "")
        return cls(
            token=str(info.get("token") or token),
            accessor=str(info.get("accessor") or ""),
            creation_path=str(info.get("creation_path") or ""),
            creation_time=_parse_time(raw_time),
            ttl=int(str(info.get("ttl") or info.get("creation_ttl") or 0)),
        )

    @property
    def expires_at(self) -> datetime:
        """When Vault destroys the wrapping token if nobody unwrapped it."""
        return self.creation_time + timedelta(seconds=self.ttl)


def _parse_time(value: str) -> datetime:
    """Parse Vault's RFC 3339 timestamps (nanosecond precision, ``Z`` or offset) to UTC."""
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?", value)
    if not match:
        raise ValueError(f"unrecognised timestamp {value!r}")
    base, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone in (None, "Z") else zone
    return datetime.fromisoformat(f"{base}.{micro}{zone}").astimezone(UTC)


@dataclass(frozen=True)
class CredentialLifetimes:
    """How long the bot's own Vault credentials have left, for the metrics an operator alerts
    on before the bot is locked out."""

    token_ttl: timedelta | None
    """What is left of the token the bot holds now; ``None`` when it never expires (a root or
    periodic-less token without TTL). An AppRole bot logs in again before it runs out."""
    secret_id_expires_at: datetime | None
    """When the AppRole secret ID stops logging in (``None``: it never expires)."""
    approle: bool
    """Whether the bot logs in through AppRole; without it there is no secret ID to expire."""

    @classmethod
    def from_lookups(
        cls, token: dict[str, object], secret_id: dict[str, object] | None
    ) -> CredentialLifetimes:
        """Build from ``auth/token/lookup-self``'s data (``ttl`` in seconds, 0 for a token
        that never expires) and, for an AppRole bot, ``secret-id/lookup``'s data
        (``expiration_time``; Vault's zero time for a secret ID that never expires)."""
        ttl = int(str(token.get("ttl") or 0))
        expires = str((secret_id or {}).get("expiration_time") or "")
        expires_at = _parse_time(expires) if expires else None
        return cls(
            token_ttl=timedelta(seconds=ttl) if ttl > 0 else None,
            secret_id_expires_at=expires_at if expires_at and expires_at.year > 1 else None,
            approle=secret_id is not None,
        )
