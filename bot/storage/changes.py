"""Applying conditional state changes of contractors, one statement per group of alike ones.

A sweep moves a batch of contractors through the same step (``active -> revoking``, then
``revoking -> revoked``). Changes that are alike (same expected state, same new values) become
one ``UPDATE ... WHERE id IN (...) AND state = :expected RETURNING *``: the
database still checks the condition row by row, so a contractor that moved on meanwhile is
simply not returned, and only that change is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.core.changes import Change
from bot.core.errors import ChangeRefused, ContractorNotFound, StaleState
from bot.core.models import CheckResult, Contractor
from bot.core.states import State
from bot.storage.mapping import check_values, column_values, to_contractor
from bot.storage.tables import check_results, contractors, vault_accounts

GroupKey = tuple[State, tuple[tuple[str, Any], ...]]
"""Changes alike: the state they expect and the columns they set."""


def apply_changes(
    connection: Connection, changes: Sequence[Change], *, at: datetime
) -> list[Contractor | ChangeRefused]:
    """Apply ``changes`` (at most one per contractor) at ``at`` in ``connection``'s transaction,
    without their audit events; one outcome per change, in order: the new row, or
    ``StaleState`` / ``ContractorNotFound`` for a change whose condition no longer held (it
    changed nothing). Each change's ``revoked_accounts`` are recorded as revoked, and its
    ``checks`` replace the stored ones."""
    groups: dict[GroupKey, list[Change]] = {}
    for change in changes:
        key = (change.contractor.state, tuple(sorted(change.columns().items())))
        groups.setdefault(key, []).append(change)
    updated: dict[str, Contractor] = {}
    for (expected, columns), group in groups.items():
        rows = connection.execute(
            sa.update(contractors)
            .where(
                contractors.c.id.in_([change.contractor.id for change in group]),
                contractors.c.state == expected.value,
            )
            .values(
                **column_values(dict(columns)), version=contractors.c.version + 1, updated_at=at
            )
            .returning(*contractors.c)
        )
        updated.update((row.id, to_contractor(row)) for row in rows)
        revoked = [
            username
            for change in group
            if change.contractor.id in updated
            for username in change.revoked_accounts
        ]
        if revoked:
            connection.execute(
                sa.update(vault_accounts)
                .where(
                    vault_accounts.c.username.in_(revoked), vault_accounts.c.revoked_at.is_(None)
                )
                .values(revoked_at=at)
            )
        for change in group:
            if change.checks is not None and change.contractor.id in updated:
                _replace_checks(connection, change.contractor.id, change.checks, at=at)
    refused = [change.contractor.id for change in changes if change.contractor.id not in updated]
    existing = (
        set(
            connection.execute(
                sa.select(contractors.c.id).where(contractors.c.id.in_(refused))
            ).scalars()
        )
        if refused
        else set()
    )
    return [
        updated.get(change.contractor.id)
        or _refusal(change, exists=change.contractor.id in existing)
        for change in changes
    ]


def _replace_checks(
    connection: Connection, contractor_id: str, checks: Sequence[CheckResult], *, at: datetime
) -> None:
    """The identity checks just run replace the stored ones."""
    connection.execute(
        sa.delete(check_results).where(check_results.c.contractor_id == contractor_id)
    )
    if checks:
        connection.execute(
            sa.insert(check_results), [check_values(contractor_id, r, at=at) for r in checks]
        )


def _refusal(change: Change, *, exists: bool) -> ChangeRefused:
    if not exists:
        return ContractorNotFound(change.contractor.id)
    return StaleState(contractor_id=change.contractor.id, expected=change.contractor.state.value)
