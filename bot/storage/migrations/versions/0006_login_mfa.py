"""Login MFA: a link delivers two wrapping tokens and binds its proof step to the reveal;
accounts say which second factor they were issued with.

- ``links.sealed_wrapping_token`` becomes ``sealed_delivery`` (the password's and the MFA
  secret's wrapping tokens, sealed together); ``mfa_wrapping_accessor`` is new (``NULL`` for a
  link made before login MFA, which can no longer be revealed); ``creation_path`` goes (the
  paths are fixed by the layout, and nothing read it); ``proof_digest`` (HMAC of the token the
  reveal hands back, keyed by the link secret) is new.
- ``vault_accounts.second_factor``: ``login_mfa`` from now on; every existing account was
  issued with a key in the old TOTP engine, ``totp_engine``, which the sweep moves over by a
  reissue.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Frozen like 0001: it imports nothing from the application.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.alter_column("sealed_wrapping_token", new_column_name="sealed_delivery")
        batch.add_column(sa.Column("mfa_wrapping_accessor", sa.String(128), nullable=True))
        batch.add_column(sa.Column("proof_digest", sa.String(128), nullable=True))
        batch.drop_column("creation_path")
    with op.batch_alter_table("vault_accounts") as batch:
        batch.add_column(
            sa.Column("second_factor", sa.String(16), nullable=False, server_default="totp_engine")
        )
    with op.batch_alter_table("vault_accounts") as batch:
        batch.alter_column("second_factor", server_default="login_mfa")


def downgrade() -> None:
    with op.batch_alter_table("vault_accounts") as batch:
        batch.drop_column("second_factor")
    with op.batch_alter_table("links") as batch:
        batch.add_column(
            sa.Column("creation_path", sa.String(512), nullable=False, server_default="")
        )
        batch.drop_column("proof_digest")
        batch.drop_column("mfa_wrapping_accessor")
        batch.alter_column("sealed_delivery", new_column_name="sealed_wrapping_token")
