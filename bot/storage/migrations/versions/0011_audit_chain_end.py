"""The audit chain's end, read after the appenders' lock, in one statement (PostgreSQL).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

``credbot_audit_chain_end(lock_key)`` takes the transaction-scoped advisory lock that
serializes appenders, then returns the newest event's ``seq`` and ``hash`` (no row when the
log is empty). It is one round trip where the lock and the read were two. It must be a
``VOLATILE`` PL/pgSQL function: under READ COMMITTED such a function takes a fresh snapshot
for each query it runs, so the read sees every event committed while the caller waited for
the lock; a single SQL statement (or a ``STABLE`` function) would read the snapshot taken
before the wait, and chain onto a stale end. The chain stays in ``audit_events`` alone: there
is nothing to backfill and no second copy of its end to keep in step.

SQLite needs nothing: its writers hold the database's write lock from ``BEGIN IMMEDIATE``.

Frozen like 0001: it imports nothing from the application.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAIN_END_FUNCTION = """
CREATE FUNCTION credbot_audit_chain_end(lock_key bigint)
RETURNS TABLE (end_seq integer, end_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY
        SELECT e.seq, e.hash FROM audit_events AS e ORDER BY e.seq DESC LIMIT 1;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CHAIN_END_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION credbot_audit_chain_end(bigint)")
