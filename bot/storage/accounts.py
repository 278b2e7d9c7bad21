"""``SqlAccounts``: the record of every Vault account credbot created, and what revoking
a contractor must destroy."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from bot.core.models import (
    AccountDrift,
    AuditEntry,
    Contractor,
    LinkRecord,
    RevocationTargets,
    VaultAccountRecord,
)
from bot.core.states import State
from bot.storage.drift import vault_drift
from bot.storage.mapping import to_account, to_contractor
from bot.storage.tables import contractors, links, vault_accounts
from bot.storage.transactions import SqlTransactions


class SqlAccounts(SqlTransactions):
    """``bot.core.stores.AccountRecords`` on SQLite or PostgreSQL."""

    def add_account(self, account: VaultAccountRecord) -> None:
        """Record a Vault username before it is created in Vault.

        A username already recorded raises ``sqlalchemy.exc.IntegrityError``: usernames are
        never reused.
        """
        with self._engine.begin() as connection:
            connection.execute(
                sa.insert(vault_accounts).values(
                    username=account.username,
                    contractor_id=account.contractor_id,
                    created_at=account.created_at,
                    revoked_at=account.revoked_at,
                )
            )

    def mark_account_revoked(self, username: str, *, at: datetime, event: AuditEntry) -> None:
        """Record that the Vault account is gone and append ``event``, in one transaction;
        keeps the first ``revoked_at`` (idempotent). An unknown username only appends."""

        def work(connection: Connection) -> None:
            connection.execute(
                sa.update(vault_accounts)
                .where(vault_accounts.c.username == username, vault_accounts.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            self._append(connection, event)

        self._write(work)

    def unrevoked_accounts(self, contractor_id: str | None = None) -> list[VaultAccountRecord]:
        """Accounts not yet proven revoked, for one contractor or all, oldest first."""
        query = (
            sa.select(vault_accounts)
            .where(vault_accounts.c.revoked_at.is_(None))
            .order_by(vault_accounts.c.created_at, vault_accounts.c.username)
        )
        if contractor_id is not None:
            query = query.where(vault_accounts.c.contractor_id == contractor_id)
        with self._reader() as connection:
            return [to_account(row) for row in connection.execute(query)]

    def stale_accounts(self, *, stale_before: datetime) -> list[VaultAccountRecord]:
        """One query joining accounts to their contractors; only stale rows are loaded."""
        in_use_states = [State.ISSUED.value, State.ACTIVE.value]
        stale = (
            sa.select(vault_accounts)
            .join(contractors, contractors.c.id == vault_accounts.c.contractor_id)
            .where(
                vault_accounts.c.revoked_at.is_(None),
                vault_accounts.c.created_at < stale_before,
                contractors.c.state != State.REVOKING.value,
                sa.not_(
                    sa.and_(
                        contractors.c.state.in_(in_use_states),
                        sa.func.coalesce(contractors.c.username, "") == vault_accounts.c.username,
                    )
                ),
            )
            .order_by(vault_accounts.c.created_at, vault_accounts.c.username)
        )
        with self._reader() as connection:
            return [to_account(row) for row in connection.execute(stale)]

    def vault_drift(self, vault_usernames: Iterable[str]) -> AccountDrift:
        """One read transaction (see ``bot.storage.drift``), rolled back at the end."""
        with self._reader() as connection:
            return vault_drift(connection, vault_usernames)

    def on_totp_engine(self) -> list[Contractor]:
        """``issued`` or ``active`` contractors whose current account was issued before login
        MFA (``second_factor = totp_engine``), oldest first: one query."""
        legacy = (
            sa.select(contractors)
            .join(vault_accounts, vault_accounts.c.username == contractors.c.username)
            .where(
                contractors.c.state.in_([State.ISSUED.value, State.ACTIVE.value]),
                vault_accounts.c.second_factor == "totp_engine",
                vault_accounts.c.revoked_at.is_(None),
            )
            .order_by(contractors.c.created_at, contractors.c.id)
        )
        with self._reader() as connection:
            return [to_contractor(row) for row in connection.execute(legacy)]

    def revocation_targets(self, contractor_id: str) -> RevocationTargets:
        """Unrevoked accounts and live links of the contractor, oldest first, one snapshot."""
        return self.revocation_targets_of([contractor_id])[contractor_id]

    def revocation_targets_of(
        self, contractor_ids: Collection[str]
    ) -> dict[str, RevocationTargets]:
        """``revocation_targets`` of several contractors with the same two queries; every id
        is a key (unknown ones map to empty targets)."""
        with self._reader() as connection:
            return read_revocation_targets(connection, contractor_ids)


def read_revocation_targets(
    connection: Connection, contractor_ids: Collection[str]
) -> dict[str, RevocationTargets]:
    """Unrevoked accounts and live links of ``contractor_ids``, oldest first, with one query
    in ``connection``'s transaction; every id is a key (unknown ones map to empty targets).
    The query is built once (see ``bot.storage.changes``: revoking runs it every time)."""
    ids = list(contractor_ids)
    found_accounts: dict[str, list[VaultAccountRecord]] = {i: [] for i in ids}
    found_links: dict[str, list[LinkRecord]] = {i: [] for i in ids}
    for row in connection.execute(_TARGETS_OF, {"ids": ids}):
        values = row._mapping
        if row.kind == _ACCOUNT:
            found_accounts[row.owner].append(VaultAccountRecord(**_columns(values, "account_")))
        else:
            found_links[row.owner].append(LinkRecord(**_columns(values, "link_")))
    return {
        i: RevocationTargets(accounts=tuple(found_accounts[i]), live_links=tuple(found_links[i]))
        for i in ids
    }


_ACCOUNT, _LINK = 0, 1


def _side(table: sa.Table, prefix: str, *, present: bool) -> list[sa.ColumnElement[Any]]:
    """``table``'s columns labelled ``prefix + name``; typed NULLs in the rows of the other
    table (the first SELECT of a UNION gives the result its column types)."""
    return [
        (column if present else sa.cast(sa.null(), column.type)).label(prefix + column.name)
        for column in table.c
    ]


def _columns(values: RowMapping, prefix: str) -> dict[str, Any]:
    """The values of one side of a ``_TARGETS_OF`` row, by column name."""
    return {name[len(prefix) :]: value for name, value in values.items() if name.startswith(prefix)}


_TARGETS_OF = sa.union_all(
    sa.select(
        sa.literal_column(str(_ACCOUNT)).label("kind"),
        vault_accounts.c.contractor_id.label("owner"),
        *_side(vault_accounts, "account_", present=True),
        *_side(links, "link_", present=False),
    ).where(
        vault_accounts.c.contractor_id.in_(sa.bindparam("ids", expanding=True)),
        vault_accounts.c.revoked_at.is_(None),
    ),
    sa.select(
        sa.literal_column(str(_LINK)),
        links.c.contractor_id,
        *_side(vault_accounts, "account_", present=False),
        *_side(links, "link_", present=True),
    ).where(
        links.c.contractor_id.in_(sa.bindparam("ids", expanding=True)),
        links.c.claimed_at.is_(None),
        links.c.invalidated_at.is_(None),
    ),
).order_by(
    sa.literal_column("kind"),
    sa.literal_column("account_created_at"),
    sa.literal_column("account_username"),
    sa.literal_column("link_created_at"),
    sa.literal_column("link_link_hash"),
)
"""Both kinds of target in one round trip: a contractor's unrevoked accounts, then its live
links, each oldest first (``kind`` tells them apart; the other kind's columns are NULL)."""
