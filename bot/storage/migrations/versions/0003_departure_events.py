"""Departure events: which Slack user a recorded event is about.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Slack events that may mean someone left (``user_change``, ``team_leave``) are written to
``processed_events`` before the bot acknowledges them, so a crash right after the ack loses
nothing; the user they concern is needed to finish the work later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_events") as batch:
        batch.add_column(sa.Column("slack_user_id", sa.String(64), nullable=True))
    op.create_index("ix_processed_events_done_at", "processed_events", ["done_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_events_done_at", table_name="processed_events")
    with op.batch_alter_table("processed_events") as batch:
        batch.drop_column("slack_user_id")
