"""Vault's usernames against the database's records, with the set differences done by the
database, so the process holds one batch of usernames at a time however many there are.

The usernames go, batch by batch, into a temporary table of the reading transaction (one
JSON array parameter per batch, expanded by the database), then two anti-joins find the
differences. Rolling the transaction back drops the table. Both anti-joins run after the
last name arrived, so every name is judged against the database as it is after Vault
answered, as a whole LIST followed by a whole read would judge it: an account issued
meanwhile is recorded before it exists in Vault, and is never taken for an orphan.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.core.models import AccountDrift
from bot.core.states import ACCESS_STATES
from bot.storage.tables import contractors, vault_accounts

BATCH = 5000
"""Usernames per INSERT into the temporary table (a few hundred kilobytes of JSON)."""

_listed = sa.Table(
    "credbot_vault_users",
    sa.MetaData(),
    sa.Column("username", sa.String(64), primary_key=True),
    prefixes=["TEMPORARY"],
)
_EXPAND = {
    "postgresql": "SELECT json_array_elements_text(CAST(:names AS json))",
    "sqlite": "SELECT value FROM json_each(:names)",
}
"""A JSON array of strings as rows, per dialect."""


def vault_drift(connection: Connection, vault_usernames: Iterable[str]) -> AccountDrift:
    """Orphans (Vault users with no unrevoked record) and missing accounts (issued/active
    contractors' usernames Vault does not list), in ``connection``'s transaction, which the
    caller must roll back (it leaves the temporary table behind otherwise). Consumes
    ``vault_usernames`` lazily; whatever it raises (a Vault error mid-listing) propagates."""
    _listed.create(connection)
    insert = sa.text(f"INSERT INTO {_listed.name} (username) {_EXPAND[connection.dialect.name]}")
    names = iter(vault_usernames)
    while batch := list(islice(names, BATCH)):
        connection.execute(insert, {"names": json.dumps(batch)})
    recorded = (
        sa.select(vault_accounts.c.username)
        .where(
            vault_accounts.c.username == _listed.c.username,
            vault_accounts.c.revoked_at.is_(None),
        )
        .exists()
    )
    listed = sa.select(_listed.c.username).where(_listed.c.username == contractors.c.username)
    orphans = connection.execute(sa.select(_listed.c.username).where(~recorded)).scalars().all()
    missing = connection.execute(
        sa.select(contractors.c.username).where(
            contractors.c.state.in_([state.value for state in ACCESS_STATES]),
            contractors.c.username.is_not(None),
            ~listed.exists(),
        )
    ).scalars()
    # Sorted here, in byte order like Vault's LIST, whatever the database's collation.
    return AccountDrift(orphans=tuple(sorted(orphans)), missing=tuple(sorted(missing)))
