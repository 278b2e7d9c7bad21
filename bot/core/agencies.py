"""Agencies: the email domain a contractor's agency gives them, and cut-offs of a whole agency.

A cut-off is a record with a small lifecycle of its own::

    pending --(a second admin confirms)--> blocking --(an admin lifts it)--> lifted
       |
       +--(an admin cancels)--> cancelled

While it is ``pending`` nothing has changed yet; from ``blocking`` on, the domain's contractors
are revoked and new requests for the domain are refused. At most one cut-off per domain is
open (``pending`` or ``blocking``); the store enforces it, so two admins asking at once get
one record. The data types, the store's protocol and the typed errors live here; the
operation is ``bot.core.agency_cutoff``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.core.errors import CredbotError
from bot.core.models import AuditEntry, Contractor

CutoffStatus = Literal["pending", "blocking", "cancelled", "lifted"]
OPEN_STATUSES: tuple[CutoffStatus, ...] = ("pending", "blocking")
"""A cut-off in one of these holds its domain: no second one may be opened for it."""

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
"""A DNS name with at least two labels, lower case (what ``parse_domain`` accepts)."""


def parse_domain(text: str) -> str:
    """The domain ``text`` names, lower-cased, with a leading ``@`` and trailing dot allowed
    (people paste ``@agency.example``). Raises ``InvalidDomain`` for anything else: a URL,
    an email address, a wildcard, a single label."""
    domain = text.strip().lower().removeprefix("@").removesuffix(".")
    if not DOMAIN.match(domain):
        raise InvalidDomain(text[:80])
    return domain


def email_domain(email: str) -> str:
    """The domain of ``email`` (after its last ``@``), lower-cased: a contractor is "at" an
    agency when this equals the agency's domain exactly, so ``a.example`` matches neither
    ``x@evil-a.example`` nor ``x@a.example.evil`` nor ``x@sub.a.example``."""
    return email.rpartition("@")[2].strip().lower()


@dataclass(frozen=True)
class AgencyCutoff:
    """One request to cut an agency off, and what became of it."""

    id: str
    domain: str
    reason: str
    requested_by: str
    requested_at: datetime
    status: CutoffStatus = "pending"
    decided_by: str | None = None
    """Who confirmed or cancelled it."""
    decided_at: datetime | None = None
    lifted_by: str | None = None
    lifted_at: datetime | None = None


class AgencyCutoffs(Protocol):
    """Durable cut-offs, and the contractors at a domain. Every method is one transaction;
    every change appends its audit entry in that transaction."""

    def at_domain(self, domain: str) -> list[Contractor]:
        """Every contractor whose email's domain is exactly ``domain`` (case-insensitive), in
        any state, oldest first."""
        ...

    def add_cutoff(self, cutoff: AgencyCutoff, *, event: AuditEntry) -> AgencyCutoff:
        """Store a new ``pending`` cut-off; raise ``CutoffOpen`` (and store nothing) when
        the domain already has an open one."""
        ...

    def get_cutoff(self, cutoff_id: str) -> AgencyCutoff:
        """The cut-off, or ``CutoffNotFound``."""
        ...

    def open_cutoff(self, domain: str) -> AgencyCutoff | None:
        """The domain's ``pending`` or ``blocking`` cut-off, if any."""
        ...

    def cutoffs(self, *, open_only: bool) -> list[AgencyCutoff]:
        """Every cut-off, newest request first; with ``open_only``, the ``pending`` and
        ``blocking`` ones only."""
        ...

    def decide_cutoff(
        self,
        cutoff_id: str,
        *,
        expected: CutoffStatus,
        status: CutoffStatus,
        actor: str,
        at: datetime,
        event: AuditEntry,
    ) -> AgencyCutoff:
        """Move the cut-off from ``expected`` to ``status`` (one conditional UPDATE), noting
        who and when (as decider, or as lifter for ``lifted``); raise ``CutoffDecided`` with
        the cut-off as it is when it is no longer ``expected`` (a second click: nothing
        changes)."""
        ...


class AgencyError(CredbotError):
    """Base of the cut-off's refusals (``bot.core.agency_messages`` words them)."""


class InvalidDomain(AgencyError):
    """The text is not an email domain."""

    def __init__(self, text: str) -> None:
        super().__init__(f"{text!r} is not an email domain")
        self.text = text


class UnknownDomain(AgencyError):
    """No contractor, live or past, has ever had an email at this domain: likely a typo."""

    def __init__(self, domain: str) -> None:
        super().__init__(f"no contractor has ever been at {domain}")
        self.domain = domain


class NobodyAtDomain(AgencyError):
    """Contractors were at this domain, but none is live now: there is nothing to cut off."""

    def __init__(self, domain: str, *, finished: int) -> None:
        super().__init__(f"nobody at {domain} holds or awaits access ({finished} finished)")
        self.domain = domain
        self.finished = finished


class CutoffOpen(AgencyError):
    """The domain already has a cut-off waiting for confirmation or in force."""

    def __init__(self, cutoff: AgencyCutoff) -> None:
        super().__init__(f"{cutoff.domain} already has a {cutoff.status} cut-off ({cutoff.id})")
        self.cutoff = cutoff


class CutoffNotFound(AgencyError):
    """No cut-off has this id (a made-up button value)."""

    def __init__(self, cutoff_id: str) -> None:
        super().__init__(f"no agency cut-off {cutoff_id}")
        self.cutoff_id = cutoff_id


class CutoffDecided(AgencyError):
    """The cut-off is no longer in the status the action needs (confirmed, cancelled or
    lifted already); ``cutoff`` is how it stands."""

    def __init__(self, cutoff: AgencyCutoff) -> None:
        super().__init__(f"agency cut-off {cutoff.id} is already {cutoff.status}")
        self.cutoff = cutoff


class NotBlocked(AgencyError):
    """Lifting a block that is not in force."""

    def __init__(self, domain: str) -> None:
        super().__init__(f"{domain} is not blocked")
        self.domain = domain


class DomainBlocked(AgencyError):
    """A new request for a contractor at a domain that is cut off."""

    def __init__(self, cutoff: AgencyCutoff) -> None:
        super().__init__(f"{cutoff.domain} is cut off ({cutoff.id})")
        self.cutoff = cutoff


class NoAgencyStore(AgencyError):
    """This process was built without the cut-off store (a wiring error, never a user's)."""
