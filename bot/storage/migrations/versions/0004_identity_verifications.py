"""Identity verifications: KYC attestations and verification-service results.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

One row per verification of a request: who attested or which service answered, when, the
document type and a short reference. No document numbers or images are ever stored.
Frozen like 0001: it imports nothing from the application.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_verifications",
        sa.Column("reference", sa.String(64), primary_key=True),
        sa.Column("contractor_id", sa.String(64), sa.ForeignKey("contractors.id"), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_type", sa.String(32), nullable=True),
        sa.Column("verified_by", sa.String(64), nullable=True),
        sa.Column("external_reference", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_identity_verifications_contractor_id", "identity_verifications", ["contractor_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_identity_verifications_contractor_id", table_name="identity_verifications")
    op.drop_table("identity_verifications")
