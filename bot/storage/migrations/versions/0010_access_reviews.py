"""Access reviews: numbered rounds, and one review per contractor and round.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

``review_rounds.number`` and the pair ``(round, contractor_id)`` are unique, so a round started
twice (two replicas, or a run that crashed half-way and ran again) asks each contractor once.

Frozen like 0001: it imports nothing from the application.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_rounds",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "access_reviews",
        sa.Column("id", sa.String(96), primary_key=True),
        sa.Column("round", sa.Integer(), sa.ForeignKey("review_rounds.number"), nullable=False),
        sa.Column("contractor_id", sa.String(64), sa.ForeignKey("contractors.id"), nullable=False),
        sa.Column("manager", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("round", "contractor_id", name="uq_access_reviews_round_contractor"),
    )
    op.create_index("ix_access_reviews_round", "access_reviews", ["round"])
    op.create_index("ix_access_reviews_contractor_id", "access_reviews", ["contractor_id"])
    op.create_index("ix_access_reviews_decision", "access_reviews", ["decision"])


def downgrade() -> None:
    op.drop_index("ix_access_reviews_decision", table_name="access_reviews")
    op.drop_index("ix_access_reviews_contractor_id", table_name="access_reviews")
    op.drop_index("ix_access_reviews_round", table_name="access_reviews")
    op.drop_table("access_reviews")
    op.drop_table("review_rounds")
