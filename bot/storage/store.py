"""``SqlStore``: the ``Store`` the core runs on, over SQLite or PostgreSQL.

It is the sum of one store per concern, each in its own module; every method is one
transaction (see ``bot.storage.transactions``).
"""

from __future__ import annotations

from bot.storage.accounts import SqlAccounts
from bot.storage.audit_trail import SqlAuditTrail
from bot.storage.contractors import SqlContractors
from bot.storage.erasure import SqlErasure
from bot.storage.health import check_database
from bot.storage.identity import SqlIdentityRecords
from bot.storage.inbox import SqlDepartureInbox
from bot.storage.links import SqlLinks
from bot.storage.sweep_claims import SqlSweepClaims


class SqlStore(
    SqlContractors,
    SqlAccounts,
    SqlLinks,
    SqlSweepClaims,
    SqlDepartureInbox,
    SqlIdentityRecords,
    SqlErasure,
    SqlAuditTrail,
):
    """``bot.core.stores.Store`` on SQLAlchemy Core: every concern's store on one
    engine (see ``SqlTransactions`` for the retry of audit appends)."""

    def check_health(self) -> None:
        """``SELECT 1`` and the schema's revision (see ``check_database``); raises the
        driver's error when the database does not answer, ``SchemaNotCurrent`` when it must
        be upgraded first."""
        check_database(self._engine)
