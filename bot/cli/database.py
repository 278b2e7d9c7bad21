"""``credbot db upgrade``: the database schema."""

from __future__ import annotations

import click

from bot import wiring
from bot.cli.context import Context, exits_cleanly, pass_context


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@pass_context
@exits_cleanly
def db_upgrade(ctx: Context) -> None:
    """Create or migrate the schema to the newest version (safe to repeat)."""
    revision = wiring.upgrade_database(ctx.settings)
    click.echo(f"database at revision {revision}")
