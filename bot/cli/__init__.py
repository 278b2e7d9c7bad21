"""``credbot``: the command line for operators. Parses arguments, calls the core, prints; one
module per command or group of commands, put on ``main`` here.

Exit codes scripts can rely on:
  0 done; 1 done, but a problem was found (broken audit chain, revocation still pending);
  2 usage error; 3 invalid settings (or, for ``serve``, a database schema to upgrade first);
  4 Vault or the database unreachable;
  5 refused by the lifecycle (not found, not allowed, illegal transition, another sweep running).
"""

from __future__ import annotations

import click

from bot.cli import agencies, audit, contractors, database, demo, review, server, sweep, vault_setup


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="credbot")
def main() -> None:
    """credbot: unique, TOTP-protected, automatically revoked contractor credentials.

    Settings come from the environment (see the README). Exit codes: 0 done, 1 problem found,
    2 usage, 3 settings, 4 Vault/database unavailable, 5 refused.
    """


for _command in (
    vault_setup.vault_group,
    database.db,
    audit.audit,
    contractors.list_contractors,
    contractors.status,
    contractors.offboard,
    agencies.unblock,
    agencies.list_cutoffs,
    sweep.sweep_command,
    server.serve,
    demo.demo,
    review.review,
):
    main.add_command(_command)


def run() -> None:
    """Entry point for ``python -m bot``."""
    main(prog_name="credbot")
