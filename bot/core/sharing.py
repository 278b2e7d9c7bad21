"""Shared-account detection: logins read from Vault's audit device, the rule that flags an
account, and the admins' two answers to a flag ("Lock now", "It's fine").

The rule (``assess``): an account is flagged when, within ``window`` before one of its logins,
Vault accepted its password from two or more source addresses, or from one outside
``bound_cidrs`` (when set). A flag names every address and time in the window. An account is
flagged again only when an address appears that its latest flag did not name: the same two
places logging in all day raise one alert, and "It's fine" accepts those places for that
account. Logins before the account's activation are not counted: they are credbot's own
enrolment login (``prove_first_login``), made from credbot's address, not the contractor's.

Exactly once: a batch of lines is taken in (``take_in``) in one transaction that stores its
new logins (by Vault's request id: a line read twice is one login), the flags they raise with
their audit events, and the reader's new position, guarded by the position it started from
(a second reader that lost its lease cannot move it). Alerts are posted after the commit and
marked posted; a flag whose alert could not be posted (Slack down, a crash) is posted at the
next batch.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.core.context import Core
from bot.core.errors import ContractorNotFound, CredbotError
from bot.core.models import AuditEntry, Contractor
from bot.core.vault_logins import VaultLogin
from vault.errors import VaultError

log = logging.getLogger("credbot.core.sharing")

FlagStatus = Literal["open", "locked", "dismissed"]
SEVERAL_ADDRESSES = "several_addresses"
OUTSIDE_BOUND_CIDRS = "outside_bound_cidrs"


@dataclass(frozen=True)
class SharingRules:
    """``CREDBOT_SHARING_WINDOW`` and ``CREDBOT_BOUND_CIDRS``."""

    window: timedelta = timedelta(minutes=10)
    bound_cidrs: tuple[str, ...] = ()

    def outside(self, address: str) -> bool:
        """Whether ``address`` lies outside every bound CIDR (never, when none is set)."""
        if not self.bound_cidrs:
            return False
        ip = ipaddress.ip_address(address)
        return not any(ip in ipaddress.ip_network(cidr, strict=False) for cidr in self.bound_cidrs)


@dataclass(frozen=True)
class SharingFlag:
    """An account seen in use from several places (or a refused one): the evidence, and the
    admins' decision once taken."""

    id: str
    username: str
    contractor_id: str | None
    logins: tuple[VaultLogin, ...]
    """The account's logins in the window, oldest first: the addresses and times shown."""
    reasons: tuple[str, ...]
    raised_at: datetime
    status: FlagStatus = "open"
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def addresses(self) -> tuple[str, ...]:
        """The distinct source addresses, in the order they first logged in."""
        return tuple(dict.fromkeys(login.remote_address for login in self.logins))


@dataclass(frozen=True)
class LogPosition:
    """Where a reader stands in the audit log: the file (the SHA-256 of its first line, so a
    rotated or replaced file is told apart from the one read before) and the byte offset
    after the last whole line taken in."""

    fingerprint: str
    offset: int


@dataclass(frozen=True)
class Batch:
    """Whole lines read from ``start`` to ``end``: the logins among them and how many lines
    could not be parsed (counted, skipped)."""

    start: LogPosition | None
    end: LogPosition
    logins: Sequence[VaultLogin] = ()
    unparseable: int = 0


@dataclass(frozen=True)
class AccountUse:
    """What the database knows of a Vault username: its contractor and when it was activated
    (``None``: not yet, so every login so far was the enrolment's)."""

    contractor_id: str
    activated_at: datetime | None


@dataclass(frozen=True)
class NewFlag:
    """A flag to store with its audit event."""

    flag: SharingFlag
    event: AuditEntry


class PositionMoved(CredbotError):
    """Another reader moved the audit log position since this one read it: this batch is
    dropped (it will not be taken in twice)."""


class SharingDecisionRefused(CredbotError):
    """The alert cannot be decided (unknown, or decided already); the message says why."""


class LockNotConfirmed(CredbotError):
    """Vault did not confirm the lock; the alert stays open and nothing was recorded."""

    def __init__(self, *, username: str, cause: str) -> None:
        super().__init__(
            f"Vault did not lock {username} ({cause}). Nothing changed and the alert is still "
            "open: press Lock now again once Vault answers."
        )


class SharingStore(Protocol):
    """What detection keeps in the database. Implemented by ``bot.storage.sharing.SqlSharing``."""

    def log_position(self, reader: str) -> LogPosition | None:
        """Where ``reader`` stopped, or ``None`` before its first batch."""
        ...

    def known_logins(self, request_ids: Sequence[str]) -> set[str]:
        """Those of ``request_ids`` already taken in."""
        ...

    def logins_since(self, username: str, *, since: datetime) -> list[VaultLogin]:
        """The username's logins at or after ``since``, oldest first."""
        ...

    def account_use(self, username: str) -> AccountUse | None:
        """The contractor and activation of a username credbot issued, ``None`` otherwise."""
        ...

    def latest_flag(self, username: str) -> SharingFlag | None:
        """The newest flag of ``username``, if any."""
        ...

    def take_in(
        self,
        reader: str,
        batch: Batch,
        *,
        logins: Sequence[VaultLogin],
        flags: Sequence[NewFlag],
        at: datetime,
    ) -> None:
        """In one transaction at ``at``: move ``reader`` from ``batch.start`` to ``batch.end``
        (raise ``PositionMoved`` and store nothing when it is not at ``batch.start``), count
        ``batch.unparseable``, store ``logins`` (new ones) and ``flags`` with their events,
        and forget logins older than any window needs."""
        ...

    def unalerted_flags(self) -> list[SharingFlag]:
        """Flags whose alert was not posted yet, oldest first."""
        ...

    def mark_alerted(self, flag_id: str) -> None:
        """Record that the flag's alert was posted."""
        ...

    def get_flag(self, flag_id: str) -> SharingFlag | None:
        """The flag, if it exists."""
        ...

    def set_flag_status(
        self,
        flag_id: str,
        *,
        expected: FlagStatus,
        status: FlagStatus,
        by: str | None,
        at: datetime | None,
        event: AuditEntry,
    ) -> SharingFlag | None:
        """Move the flag from ``expected`` to ``status`` with its audit event in one
        conditional statement; ``None`` (nothing changed) when it is not ``expected``."""
        ...


class AccountLocks(Protocol):
    """Locking a Vault account without destroying it. Implemented by ``vault.locks``."""

    def lock_account(self, *, username: str) -> None:
        """Refuse every token and every new login of ``username`` (its entity disabled) and
        revoke its tokens; keep the user, entity and MFA secret. Idempotent. Raises the
        exceptions of ``vault.errors``."""
        ...


class SharingAlerts(Protocol):
    """Where flags go (the audit channel, with the admins' buttons)."""

    def post_flag(self, flag: SharingFlag, contractor: Contractor | None) -> bool:
        """Post the alert; ``False`` when it could not be posted (retried later). Never raises."""
        ...


@dataclass(frozen=True)
class SharedAccounts:
    """Everything detection and the admins' answers run against."""

    core: Core
    store: SharingStore
    locks: AccountLocks
    alerts: SharingAlerts
    rules: SharingRules = field(default_factory=SharingRules)


def assess(
    login: VaultLogin,
    recent: Sequence[VaultLogin],
    latest: SharingFlag | None,
    rules: SharingRules,
) -> tuple[tuple[VaultLogin, ...], tuple[str, ...]] | None:
    """The evidence and reasons to flag the account at ``login``, or ``None``.

    ``recent``: the account's counted logins in the window before ``login``, ``login``
    included. ``latest``: its newest flag (an address it named raises nothing new)."""
    window = tuple(sorted(recent, key=lambda seen: seen.at))
    addresses = list(dict.fromkeys(seen.remote_address for seen in window))
    reasons = []
    if len(addresses) >= 2:
        reasons.append(SEVERAL_ADDRESSES)
    if any(rules.outside(address) for address in addresses):
        reasons.append(OUTSIDE_BOUND_CIDRS)
    if not reasons or login.remote_address not in addresses:
        return None
    if latest is not None and set(addresses) <= set(latest.addresses):
        return None
    return window, tuple(reasons)


def take_in(sharing: SharedAccounts, reader: str, batch: Batch) -> list[SharingFlag]:
    """Take one batch of the audit log in (see the module's docstring); return the flags it
    raised. Raises ``PositionMoved`` when another reader moved on meanwhile."""
    known = sharing.store.known_logins([login.request_id for login in batch.logins])
    fresh = list({login.request_id: login for login in batch.logins}.values())
    fresh = [login for login in fresh if login.request_id not in known]
    counted: list[VaultLogin] = []
    raised: dict[str, SharingFlag] = {}
    for login in fresh:
        use = sharing.store.account_use(login.username)
        if use is not None and (use.activated_at is None or login.at < use.activated_at):
            continue  # credbot's own enrolment login
        counted.append(login)
        latest = raised.get(login.username) or sharing.store.latest_flag(login.username)
        found = assess(login, _window(sharing, login, use, counted), latest, sharing.rules)
        if found is not None:
            raised[login.username] = SharingFlag(
                id=secrets.token_hex(8),
                username=login.username,
                contractor_id=use.contractor_id if use else None,
                logins=found[0],
                reasons=found[1],
                raised_at=sharing.core.clock.now(),
            )
    flags = [NewFlag(flag, _flag_event(sharing, flag)) for flag in raised.values()]
    sharing.store.take_in(reader, batch, logins=fresh, flags=flags, at=sharing.core.clock.now())
    if batch.unparseable:
        log.warning("audit log: %d lines could not be parsed and were skipped", batch.unparseable)
    return list(raised.values())


def _window(
    sharing: SharedAccounts, login: VaultLogin, use: AccountUse | None, counted: list[VaultLogin]
) -> list[VaultLogin]:
    """The account's counted logins from ``window`` before ``login`` (never before its
    activation) up to ``login``: those stored already and those of this batch."""
    since = login.at - sharing.rules.window
    if use is not None and use.activated_at is not None:
        since = max(since, use.activated_at)
    stored = sharing.store.logins_since(login.username, since=since)
    batch = [seen for seen in counted if seen.username == login.username and since <= seen.at]
    return [seen for seen in (*stored, *batch) if seen.at <= login.at]


def post_alerts(sharing: SharedAccounts) -> int:
    """Post every flag whose alert is not out yet; return how many went out."""
    posted = 0
    for flag in sharing.store.unalerted_flags():
        if sharing.alerts.post_flag(flag, flag_contractor(sharing, flag)):
            sharing.store.mark_alerted(flag.id)
            posted += 1
    return posted


def lock_now(sharing: SharedAccounts, flag_id: str, *, admin: str) -> SharingFlag:
    """An admin's "Lock now": the flag becomes ``locked`` (audited) and Vault refuses the
    account's tokens and logins, keeping the account for the admins' decision (reissue or
    offboard). Raises ``SharingDecisionRefused`` (nothing changed) for an unknown or decided
    flag, ``LockNotConfirmed`` (the flag reopened, audited) when Vault did not answer."""
    flag = _open_flag(sharing, flag_id)
    core = sharing.core
    locked = sharing.store.set_flag_status(
        flag.id,
        expected="open",
        status="locked",
        by=admin,
        at=core.clock.now(),
        event=_decision_event(sharing, flag, actor=admin, action="sharing_locked"),
    )
    if locked is None:
        raise _decided(sharing, flag.id)
    try:
        sharing.locks.lock_account(username=flag.username)
    except VaultError as exc:
        sharing.store.set_flag_status(
            flag.id,
            expected="locked",
            status="open",
            by=None,
            at=None,
            event=_decision_event(
                sharing, flag, actor="credbot", action="sharing_lock_failed", reason=str(exc)
            ),
        )
        raise LockNotConfirmed(username=flag.username, cause=str(exc)) from exc
    log.warning("account %s locked by %s (shared-account alert %s)", flag.username, admin, flag.id)
    return locked


def dismiss(sharing: SharedAccounts, flag_id: str, *, admin: str) -> SharingFlag:
    """An admin's "It's fine": the flag is closed (audited); its addresses raise nothing new
    for that account. Raises ``SharingDecisionRefused`` (nothing changed) for an unknown or
    decided flag."""
    flag = _open_flag(sharing, flag_id)
    dismissed = sharing.store.set_flag_status(
        flag.id,
        expected="open",
        status="dismissed",
        by=admin,
        at=sharing.core.clock.now(),
        event=_decision_event(sharing, flag, actor=admin, action="sharing_dismissed"),
    )
    if dismissed is None:
        raise _decided(sharing, flag.id)
    return dismissed


def _open_flag(sharing: SharedAccounts, flag_id: str) -> SharingFlag:
    flag = sharing.store.get_flag(flag_id)
    if flag is None:
        raise SharingDecisionRefused("This shared-account alert does not exist (any more).")
    if flag.status != "open":
        raise _decided(sharing, flag_id)
    return flag


def _decided(sharing: SharedAccounts, flag_id: str) -> SharingDecisionRefused:
    flag = sharing.store.get_flag(flag_id)
    if flag is None or flag.status == "open":
        return SharingDecisionRefused("Someone else is deciding this alert right now.")
    what = "locked" if flag.status == "locked" else "marked fine"
    when = f" at {flag.decided_at:%Y-%m-%d %H:%M} UTC" if flag.decided_at else ""
    return SharingDecisionRefused(
        f"This alert was already {what} by <@{flag.decided_by}>{when}; nothing changed."
    )


def flag_contractor(sharing: SharedAccounts, flag: SharingFlag) -> Contractor | None:
    """The flagged account's contractor, ``None`` for an account credbot did not issue."""
    if flag.contractor_id is None:
        return None
    try:
        return sharing.core.store.get_contractor(flag.contractor_id)
    except ContractorNotFound:
        return None


def _flag_event(sharing: SharedAccounts, flag: SharingFlag) -> AuditEntry:
    entry = sharing.core.entry(
        actor="credbot",
        action="sharing_flagged",
        reason=", ".join(flag.reasons),
        details=_details(flag),
    )
    return replace(entry, contractor_id=flag.contractor_id)


def _decision_event(
    sharing: SharedAccounts, flag: SharingFlag, *, actor: str, action: str, reason: str = ""
) -> AuditEntry:
    entry = sharing.core.entry(actor=actor, action=action, reason=reason, details=_details(flag))
    return replace(entry, contractor_id=flag.contractor_id)


def _details(flag: SharingFlag) -> dict[str, object]:
    return {
        "flag": flag.id,
        "username": flag.username,
        "logins": [
            {"address": login.remote_address, "at": login.at.isoformat(), "refused": login.refused}
            for login in flag.logins
        ],
    }
