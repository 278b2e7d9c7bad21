"""Initial schema: contractors, Vault accounts, links, check results, audit chain, Slack events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written by hand and frozen: it does not import the application's tables or types, so later
changes to them cannot silently rewrite history. Timestamps are ``DateTime(timezone=True)``
(``timestamptz`` on PostgreSQL, UTC text on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_PREDICATE = (
    "state IN ('active', 'approved', 'awaiting_approval', 'expired', 'issued', 'locked', "
    "'requested', 'revoking', 'verifying')"
)
"""``bot.core.states.LIVE_STATES`` as of this revision (a test checks it is still current)."""


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "contractors",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("slack_user_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("username", sa.String(128), nullable=True),
        sa.Column("failed_totp_attempts", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contractors_slack_user_id", "contractors", ["slack_user_id"])
    op.create_index("ix_contractors_email", "contractors", ["email"])
    op.create_index("ix_contractors_state", "contractors", ["state"])
    op.create_index("ix_contractors_created_at", "contractors", ["created_at"])
    for name, column in (
        ("uq_contractors_live_slack_user_id", "slack_user_id"),
        ("uq_contractors_live_email", "email"),
    ):
        op.create_index(
            name,
            "contractors",
            [column],
            unique=True,
            sqlite_where=sa.text(LIVE_PREDICATE),
            postgresql_where=sa.text(LIVE_PREDICATE),
        )

    op.create_table(
        "vault_accounts",
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("contractor_id", sa.String(64), nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["contractor_id"], ["contractors.id"]),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_index("ix_vault_accounts_contractor_id", "vault_accounts", ["contractor_id"])

    op.create_table(
        "links",
        sa.Column("link_hash", sa.String(128), nullable=False),
        sa.Column("contractor_id", sa.String(64), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("sealed_wrapping_token", sa.Text(), nullable=False),
        sa.Column("wrapping_accessor", sa.String(128), nullable=False),
        sa.Column("creation_path", sa.String(512), nullable=False),
        sa.Column("confirmation_digest", sa.String(128), nullable=False),
        sa.Column("failed_confirmations", sa.Integer(), nullable=False, server_default="0"),
        _time("created_at"),
        _time("expires_at"),
        _time("claimed_at", nullable=True),
        _time("invalidated_at", nullable=True),
        sa.ForeignKeyConstraint(["contractor_id"], ["contractors.id"]),
        sa.PrimaryKeyConstraint("link_hash"),
    )
    op.create_index("ix_links_contractor_id", "links", ["contractor_id"])

    op.create_table(
        "check_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contractor_id", sa.String(64), nullable=False),
        sa.Column("check", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        _time("at"),
        sa.ForeignKeyConstraint(["contractor_id"], ["contractors.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_check_results_contractor_id", "check_results", ["contractor_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _time("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("contractor_id", sa.String(64), nullable=True),
        sa.Column("from_state", sa.String(32), nullable=True),
        sa.Column("to_state", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq", name="uq_audit_events_seq"),
    )
    op.create_index("ix_audit_events_contractor_id", "audit_events", ["contractor_id"])

    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(128), nullable=False),
        _time("received_at"),
        sa.Column("kind", sa.String(64), nullable=False),
        _time("done_at", nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_table("audit_events")
    op.drop_table("check_results")
    op.drop_table("links")
    op.drop_table("vault_accounts")
    op.drop_table("contractors")
