"""Shared-account detection: where credbot stands in Vault's audit log, the logins it read,
and the flags it raised.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Frozen like 0001: it imports nothing from the application.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vault_audit_readers",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("unparseable", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "vault_logins",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("remote_address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_vault_logins_at", "vault_logins", ["at"])
    op.create_index("ix_vault_logins_username_at", "vault_logins", ["username", "at"])
    op.create_table(
        "sharing_flags",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("contractor_id", sa.String(64), nullable=True),
        sa.Column("logins", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.String(128), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerted", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_sharing_flags_alerted", "sharing_flags", ["alerted"])
    op.create_index(
        "ix_sharing_flags_username_raised_at", "sharing_flags", ["username", "raised_at"]
    )


def downgrade() -> None:
    op.drop_table("sharing_flags")
    op.drop_table("vault_logins")
    op.drop_table("vault_audit_readers")
