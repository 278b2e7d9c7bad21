"""``credbot audit verify|export``: the hash-chained audit trail and its signed anchor."""

from __future__ import annotations

import json
from typing import IO

import click

from bot.cli.context import EXIT_PROBLEM_FOUND, Context, exits_cleanly, fail, pass_context
from bot.core import queries
from bot.core.anchoring import TrailCheck, check_trail
from bot.core.audit import canonical_time, entry_as_json


@click.group()
def audit() -> None:
    """Verify and export the hash-chained audit trail."""


@audit.command("verify")
@pass_context
@exits_cleanly
def audit_verify(ctx: Context) -> None:
    """Check every audit event against the chain, and the chain against the newest anchor
    signed in Vault. Exit 1 and name the rows (or the missing tail) if anything is wrong."""
    trail = check_trail(ctx.core)
    for chain_break in trail.breaks:
        click.echo(f"event #{chain_break.seq}: {chain_break.problem}", err=True)
    if trail.anchor_problem:
        click.echo(trail.anchor_problem, err=True)
    if trail.breaks:
        fail(
            f"audit chain broken in {len(trail.breaks)} place(s) out of {trail.events} events",
            EXIT_PROBLEM_FOUND,
        )
    if trail.anchor_problem:
        fail(
            f"audit trail does not match its signed anchor ({trail.events} events)",
            EXIT_PROBLEM_FOUND,
        )
    click.echo(f"audit chain intact: {trail.events} events")
    click.echo(_anchor_status(trail))


def _anchor_status(trail: TrailCheck) -> str:
    """How the intact chain stands against the signed anchor, and how far the anchor lags."""
    if trail.anchor is None:
        if not trail.events:
            return "signed anchor: none yet (no events)"
        return (
            f"signed anchor: none yet: the {trail.events} events are not anchored (the sweep "
            "and credbot serve anchor the chain)"
        )
    anchor = trail.anchor
    signed = f"signed anchor: event #{anchor.seq}, signed {canonical_time(anchor.signed_at)}"
    if not trail.lag:
        return f"{signed}, is the newest event"
    lagging = "event is" if trail.lag == 1 else f"{trail.lag} events are"
    return (
        f"{signed}; anchoring lags: the newest {lagging} not anchored yet "
        f"(anchor at seq {anchor.seq}, database ends at {trail.ends_at})"
    )


@audit.command("export")
@click.option("-o", "--output", type=click.File("w"), default="-", help="File (default stdout).")
@click.option(
    "--after-seq",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="Only events after event #N: what a SIEM has not received yet.",
)
@pass_context
@exits_cleanly
def audit_export(ctx: Context, output: IO[str], after_seq: int) -> None:
    """Write the audit events as one JSON object per line, in chain order."""
    for event in queries.audit_events(ctx.core, after_seq=after_seq):
        record = {
            "seq": event.seq,
            **entry_as_json(event.entry),
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }
        output.write(json.dumps(record, sort_keys=True) + "\n")
