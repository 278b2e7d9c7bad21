"""Plain data exchanged between the domain core and the Vault package.

Secret-bearing types override ``__repr__`` so that a stray log line or traceback cannot print them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class IssuedAccount:
    """What credbot may keep after issuing an account: nothing here unlocks anything alone.

    ``wrapping_token`` is the exception: it is single-use and is only ever stored encrypted under
    a key derived from the contractor's link secret (see ``bot.core.links``).
    """

    username: str
    wrapping_token: str = field(repr=False)
    wrapping_accessor: str
    creation_path: str
    wrap_expires_at: datetime


@dataclass(frozen=True)
class AccountSecrets:
    """The secrets a contractor sees exactly once, unwrapped from Vault."""

    username: str
    password: str = field(repr=False)
    totp_uri: str = field(repr=False)
    totp_secret: str = field(repr=False)


@dataclass(frozen=True)
class RevocationProof:
    """Evidence, read back from Vault, that an account no longer grants anything."""

    username: str
    user_absent: bool
    totp_key_absent: bool
    live_leases: int
    entity_disabled: bool | None
    """``None`` when the user never logged in, so Vault never created an identity entity."""

    @property
    def complete(self) -> bool:
        """True when no login, token or TOTP key of the account survives."""
        return (
            self.user_absent
            and self.totp_key_absent
            and self.live_leases == 0
            and self.entity_disabled is not False
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
