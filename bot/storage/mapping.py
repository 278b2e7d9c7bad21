"""Rows to domain records and back. The core only ever sees ``bot.core.models``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row

from bot.core.models import (
    AuditEntry,
    AuditEvent,
    CheckResult,
    Contractor,
    IdentityVerification,
    LinkRecord,
    VaultAccountRecord,
)
from bot.core.states import State
from bot.storage.tables import contractors, links


def contractor_values(contractor: Contractor) -> dict[str, Any]:
    """Column values for a new ``contractors`` row."""
    values = asdict(contractor)
    values["state"] = contractor.state.value
    return values


def column_values(columns: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for the columns a ``Change`` sets (``Change.columns``), by name."""
    values = {
        name: value.value if isinstance(value, State) else value for name, value in columns.items()
    }
    if columns.get("state") not in (None, State.REVOKING):
        # Reaching a state past ``revoking`` is what a sweep claim waits for: release it in the
        # same UPDATE (entering ``revoking`` keeps it: the Vault calls are still to come).
        values["sweep_claimed_by"] = None
        values["sweep_claimed_until"] = None
    return values


SWEEP_COLUMNS = frozenset({"sweep_claimed_by", "sweep_claimed_until"})
"""Storage-only bookkeeping of which sweep works on a contractor; not part of the domain."""


def to_contractor(row: Row[Any]) -> Contractor:
    """A ``contractors`` row as a ``Contractor``."""
    return _contractor(row._mapping)


def _contractor(columns: Mapping[Any, Any]) -> Contractor:
    values = {key: value for key, value in columns.items() if key not in SWEEP_COLUMNS}
    values["state"] = State(values["state"])
    return Contractor(**values)


def to_account(row: Row[Any]) -> VaultAccountRecord:
    """A ``vault_accounts`` row as a ``VaultAccountRecord``."""
    return VaultAccountRecord(**row._mapping)


def to_link_and_contractor(row: Row[Any]) -> tuple[LinkRecord, Contractor]:
    """A row of ``links`` joined with ``contractors`` (the links' columns first) as the link
    and its contractor. Split by position: both tables have columns of the same name."""
    split = len(links.columns)
    link = LinkRecord(**dict(zip(links.columns.keys(), row[:split], strict=True)))
    values = dict(zip(contractors.columns.keys(), row[split:], strict=True))
    return link, _contractor(values)


def check_values(contractor_id: str, result: CheckResult, *, at: datetime) -> dict[str, Any]:
    """Column values for a new ``check_results`` row."""
    return {**asdict(result), "contractor_id": contractor_id, "at": at}


def to_check_result(row: Row[Any]) -> CheckResult:
    """A ``check_results`` row as a ``CheckResult``."""
    values = row._mapping
    return CheckResult(
        check=values["check"],
        outcome=values["outcome"],
        reason=values["reason"],
        evidence=dict(values["evidence"]),
    )


def verification_values(verification: IdentityVerification) -> dict[str, Any]:
    """Column values for a new ``identity_verifications`` row."""
    return asdict(verification)


def to_verification(row: Row[Any]) -> IdentityVerification:
    """An ``identity_verifications`` row as an ``IdentityVerification``."""
    return IdentityVerification(**row._mapping)


def audit_values(*, seq: int, entry: AuditEntry, prev_hash: str, hash_: str) -> dict[str, Any]:
    """Column values for a new ``audit_events`` row. The entry's fields are taken as they are:
    ``asdict`` would deep-copy ``details`` (a revocation's proofs) on every append only for the
    JSON column to serialize the copy."""
    values = {f.name: getattr(entry, f.name) for f in fields(entry)}
    return {**values, "seq": seq, "prev_hash": prev_hash, "hash": hash_}


def to_audit_event(row: Row[Any]) -> AuditEvent:
    """An ``audit_events`` row as an ``AuditEvent``."""
    values = row._mapping
    entry = AuditEntry(
        at=values["at"],
        actor=values["actor"],
        action=values["action"],
        contractor_id=values["contractor_id"],
        from_state=values["from_state"],
        to_state=values["to_state"],
        reason=values["reason"],
        details=dict(values["details"]),
    )
    return AuditEvent(
        seq=values["seq"], entry=entry, prev_hash=values["prev_hash"], hash=values["hash"]
    )
