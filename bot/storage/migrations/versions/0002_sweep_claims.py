"""Sweep claims: which sweep worker is revoking a contractor, and until when.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Several bot replicas may sweep one database. A sweep claims a contractor with a conditional
UPDATE (free, or the previous claim has lapsed) before touching Vault, so two sweeps never work
on the same contractor at once, and a claim left by a replica that died lapses and is taken
over. ``end_date`` gets an index: the sweep looks for ended contracts on every run.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contractors") as batch:
        batch.add_column(sa.Column("sweep_claimed_by", sa.String(128), nullable=True))
        batch.add_column(
            sa.Column("sweep_claimed_until", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_contractors_end_date", "contractors", ["end_date"])


def downgrade() -> None:
    op.drop_index("ix_contractors_end_date", table_name="contractors")
    with op.batch_alter_table("contractors") as batch:
        batch.drop_column("sweep_claimed_until")
        batch.drop_column("sweep_claimed_by")
