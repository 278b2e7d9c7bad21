"""Agency cut-offs: requests to cut a whole agency (an email domain) off, and blocks in force.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

One row per cut-off (``pending`` until a second admin confirms, then ``blocking`` until an
admin lifts it, or ``cancelled``); a partial unique index allows one open cut-off per domain.

Frozen like 0001: it imports nothing from the application.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_CUTOFF_PREDICATE = "status IN ('blocking', 'pending')"


def upgrade() -> None:
    op.create_table(
        "agency_cutoffs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(64), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
    )
    predicate = sa.text(OPEN_CUTOFF_PREDICATE)
    op.create_index(
        "uq_agency_cutoffs_open_domain",
        "agency_cutoffs",
        ["domain"],
        unique=True,
        sqlite_where=predicate,
        postgresql_where=predicate,
    )


def downgrade() -> None:
    op.drop_index("uq_agency_cutoffs_open_domain", table_name="agency_cutoffs")
    op.drop_table("agency_cutoffs")
