"""``Change``: the one type for a change of a contractor, from a lifecycle step down to the SQL.

A step builds a ``Change`` (``Core.apply`` checks the lifecycle allows it), the store applies it
in one conditional update that compares and sets the state, and derives its audit event and
its columns from it. A new changeable column is one field here, marked ``COLUMN``, plus the
table's column: the stores set every column field by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any

from bot.core.models import AuditEntry, CheckResult, Contractor
from bot.core.states import State

COLUMN: Mapping[str, bool] = MappingProxyType({"column": True})
"""Metadata of the fields that set the contractor's column of the same name (``None`` leaves
it as is)."""


@dataclass(frozen=True)
class Change:
    """One change of one contractor with its audit event, applied only while the contractor
    is still in the state the caller read (``contractor.state``): otherwise ``StaleState``
    (or ``ContractorNotFound``) and nothing changes."""

    contractor: Contractor
    """The contractor as the caller read it: its id, and the state the change expects."""
    state: State | None = field(default=None, metadata=COLUMN)
    """The new state; ``None`` keeps it (a counter, check results)."""
    _: KW_ONLY
    actor: str
    action: str
    reason: str = ""
    details: dict[str, Any] | None = None
    approved_by: str | None = field(default=None, metadata=COLUMN)
    username: str | None = field(default=None, metadata=COLUMN)
    failed_totp_attempts: int | None = field(default=None, metadata=COLUMN)
    revoked_accounts: tuple[str, ...] = ()
    """Vault usernames proven gone, recorded as revoked in the same transaction."""
    checks: tuple[CheckResult, ...] | None = None
    """The identity checks just run; they replace the stored ones in the same transaction."""

    def columns(self) -> dict[str, Any]:
        """The contractor's columns this change sets, by name (its column fields not ``None``)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.metadata == COLUMN}
        return {name: value for name, value in values.items() if value is not None}

    def event(self, at: datetime) -> AuditEntry:
        """The audit event that goes with the change, at ``at`` (the core's clock)."""
        return AuditEntry(
            at=at,
            actor=self.actor,
            action=self.action,
            contractor_id=self.contractor.id,
            from_state=self.contractor.state.value,
            to_state=None if self.state is None else self.state.value,
            reason=self.reason,
            details=self.details or {},
        )
