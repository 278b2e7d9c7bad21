"""Erasure after the retention period: when a finished record's personal data was removed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Frozen like 0001: it imports nothing from the application.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contractors") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contractors") as batch:
        batch.drop_column("erased_at")
