"""``credbot sweep``: revoke what is due, then reconcile Vault with the database; and how
the report shows to a person (``print_report``: ``sweep_summary``, the one wording in
``bot.core.messages``, as a rich table and coloured lines)."""

from __future__ import annotations

import json
import os
import socket
import sys
from datetime import timedelta

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bot import wiring
from bot.cli.context import (
    EXIT_PROBLEM_FOUND,
    EXIT_UNAVAILABLE,
    Context,
    exits_cleanly,
    pass_context,
)
from bot.core.messages import sweep_summary
from bot.core.sweep import SweepOptions, SweepReport, exclusive_sweep
from bot.durations import parse_duration


def _duration_option(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    try:
        lease = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if lease <= timedelta(0):
        raise click.BadParameter("must be longer than 0s")
    return lease


@click.command("sweep")
@click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--fix-drift", is_flag=True, help="Also remove orphan Vault users.")
@click.option("--force", is_flag=True, help="Override the circuit breaker (after checking).")
@click.option(
    "--lease",
    default="10m",
    show_default=True,
    metavar="DURATION",
    callback=_duration_option,
    help="How long this run's claim on one contractor holds if the run dies (90s, 10m, ...); "
    "a claim is taken just before that contractor is revoked, so it only needs to outlast one "
    "revocation. After a crash, claims of the dead run block those contractors this long.",
)
@pass_context
@exits_cleanly
def sweep_command(
    ctx: Context, *, dry_run: bool, as_json: bool, fix_drift: bool, force: bool, lease: timedelta
) -> None:
    """Revoke what is due (ended contracts, expired links, interrupted revocations), then
    reconcile Vault with the database. Exit 0 when all is done, 1 when work is pending, 4
    when it is pending because Vault did not answer (what was done is still reported), 5
    when another sweep (a replica's scheduled one) is running: one sweeps at a time."""
    core, leases = ctx.core, ctx.database.leases  # a database or Vault refusal before the bar
    options = SweepOptions(
        worker=f"{socket.gethostname()}:{os.getpid()}",
        dry_run=dry_run,
        fix_drift=fix_drift,
        force=force,
        max_share=ctx.settings.sweep_max_share,
        lease=lease,
    )
    console = Console(stderr=as_json)
    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("revoking", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        reviews = wiring.build_reviews(ctx.settings, store=ctx.database.reviews)
        report = exclusive_sweep(core, options, leases=leases, progress=progress, reviews=reviews)
    if as_json:
        click.echo(json.dumps(report.as_json(), sort_keys=True))
    else:
        print_report(report, console)
    if not report.all_done:
        sys.exit(EXIT_UNAVAILABLE if report.vault_unreachable else EXIT_PROBLEM_FOUND)


def print_report(report: SweepReport, console: Console) -> None:
    """A table of what was acted on, the reconciliation findings, and the verdict."""
    summary = sweep_summary(report)
    table = Table(title=summary.title)
    for column in ("contractor", "Slack user", "action", "outcome", "detail"):
        table.add_column(column)
    for item in summary.items:
        table.add_row(
            item.contractor_id, item.slack_user_id, item.action, item.outcome, item.detail
        )
    if summary.items:
        console.print(table)
    else:
        console.print("Nothing due.")
    for label, names in summary.findings:
        console.print(f"{label}: {', '.join(names)}")
    for note in summary.notes:
        console.print(note)
    for warning in summary.warnings:
        console.print(f"[red]{warning}[/]")
    colour = "green" if summary.all_done else "yellow"
    console.print(f"[{colour}]{summary.verdict}[/]")
