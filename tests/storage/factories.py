"""Domain records with sensible defaults for storage tests."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.core.changes import Change
from bot.core.models import AuditEntry, Contractor, LinkRecord, VaultAccountRecord
from bot.core.states import State

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def contractor(**overrides: Any) -> Contractor:
    suffix = uuid.uuid4().hex[:8]
    values: dict[str, Any] = {
        "id": f"c-{suffix}",
        "slack_user_id": f"U{suffix.upper()}",
        "email": f"{suffix}@contractors.example.com",
        "display_name": "Ana Ñúñez",
        "country": "PT",
        "end_date": date(2025, 12, 31),
        "role": "reviewer",
        "requested_by": "UMANAGER",
        "justification": "grading batch 7",
        "state": State.REQUESTED,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Contractor(**values)


AUDITED: dict[str, Any] = {
    "actor": "UMANAGER",
    "action": "requested",
    "reason": "",
    "details": {"n": 1, "nested": {"ok": True}, "text": "é"},
}
"""Who did what, why: the audit fields of ``entry`` and ``change``."""


def entry(**overrides: Any) -> AuditEntry:
    values: dict[str, Any] = {"at": T0, **AUDITED}
    values.update(overrides)
    return AuditEntry(**values)


def change(
    contractor: Contractor,
    state: State | None = None,
    *,
    expected: State | None = None,
    **overrides: Any,
) -> Change:
    """A change of ``contractor`` to ``state``, read in ``expected`` (default: its state)."""
    read = contractor if expected is None else replace(contractor, state=expected)
    return Change(read, state, **{**AUDITED, **overrides})


def account(contractor_id: str, **overrides: Any) -> VaultAccountRecord:
    values: dict[str, Any] = {
        "username": f"ctr-{uuid.uuid4().hex[:10]}",
        "contractor_id": contractor_id,
        "created_at": T0,
    }
    values.update(overrides)
    return VaultAccountRecord(**values)


def link(contractor_id: str, **overrides: Any) -> LinkRecord:
    values: dict[str, Any] = {
        "link_hash": uuid.uuid4().hex * 2,
        "contractor_id": contractor_id,
        "username": "ctr-x",
        "sealed_delivery": "c2VhbGVk",
        "wrapping_accessor": "acc-1",
        "mfa_wrapping_accessor": "acc-2",
        "confirmation_digest": "d" * 64,
        "created_at": T0,
        "expires_at": T0 + timedelta(hours=24),
    }
    values.update(overrides)
    return LinkRecord(**values)
