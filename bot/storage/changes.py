"""Applying conditional state changes of contractors, one statement per group of alike ones.

A sweep moves a batch of contractors through the same step (``active -> revoking``, then
``revoking -> revoked``). Changes that are alike (same expected state, same new values) become
one ``UPDATE ... WHERE id IN (...) AND state = :expected RETURNING *``: the
database still checks the condition row by row, so a contractor that moved on meanwhile is
simply not returned, and only that change is refused.

The statements of this path, which every change of state takes, are built once (at import, or
once per set of columns) with bound parameters: SQLAlchemy keeps a statement object's cache key,
so executing the same object again skips building the statement and computing its key, which
cost some 100-200 us of CPU per statement, more than SQLite takes to run it.
"""

from __future__ import annotations

import functools
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
        values = column_values(dict(columns))
        parameters = {
            "ids": [change.contractor.id for change in group],
            "expected": expected.value,
            "at": at,
            **{f"new_{name}": value for name, value in values.items()},
        }
        revoking = [username for change in group for username in change.revoked_accounts]
        if revoking and connection.dialect.name == "postgresql":
            rows = connection.execute(
                _update_and_mark_statement(tuple(values)), {**parameters, "usernames": revoking}
            )
            updated.update((row.id, to_contractor(row)) for row in rows)
            continue
        rows = connection.execute(_update_statement(tuple(values)), parameters)
        updated.update((row.id, to_contractor(row)) for row in rows)
        revoked = [
            username
            for change in group
            if change.contractor.id in updated
            for username in change.revoked_accounts
        ]
        if revoked:
            connection.execute(_MARK_REVOKED, {"usernames": revoked, "at": at})
        for change in group:
            if change.checks is not None and change.contractor.id in updated:
                _replace_checks(connection, change.contractor.id, change.checks, at=at)
    refused = [change.contractor.id for change in changes if change.contractor.id not in updated]
    existing = set(connection.execute(_EXISTING, {"ids": refused}).scalars()) if refused else set()
    return [
        updated.get(change.contractor.id)
        or _refusal(change, exists=change.contractor.id in existing)
        for change in changes
    ]


@functools.cache
def _update_statement(names: tuple[str, ...]) -> sa.Update:
    """The conditional UPDATE of the contractors in ``:ids`` still in ``:expected`` that sets
    the columns ``names`` (from ``:new_<name>``), bumps ``version`` and sets ``updated_at``
    (``:at``), returning the new rows; built once per set of columns (see the module doc)."""
    return (
        sa.update(contractors)
        .where(
            contractors.c.id.in_(sa.bindparam("ids", expanding=True)),
            contractors.c.state == sa.bindparam("expected"),
        )
        .values(
            {name: sa.bindparam(f"new_{name}") for name in names},
        )
        .values(version=contractors.c.version + 1, updated_at=sa.bindparam("at"))
        .returning(*contractors.c)
    )


@functools.cache
def _update_and_mark_statement(names: tuple[str, ...]) -> sa.Select[Any]:
    """PostgreSQL: ``_update_statement`` and ``_MARK_REVOKED`` in one statement (one round
    trip), the accounts of ``:usernames`` marked only where their contractor was moved.

    The marking reads the moved rows, so the contractors' rows are locked before the
    accounts', as with two statements, and both before the audit lock of the append that
    follows. SQLite has no data-modifying ``WITH``: there the two statements stay apart."""
    moved = _update_statement(names).cte("moved")
    marked = _MARK_REVOKED.where(vault_accounts.c.contractor_id.in_(sa.select(moved.c.id))).cte(
        "marked"
    )
    return sa.select(moved).add_cte(marked)


_MARK_REVOKED = (
    sa.update(vault_accounts)
    .where(
        vault_accounts.c.username.in_(sa.bindparam("usernames", expanding=True)),
        vault_accounts.c.revoked_at.is_(None),
    )
    .values(revoked_at=sa.bindparam("at"))
)
_EXISTING = sa.select(contractors.c.id).where(
    contractors.c.id.in_(sa.bindparam("ids", expanding=True))
)


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
