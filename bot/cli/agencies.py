"""Cutting a whole agency off (``credbot offboard --email-domain``) and lifting its block
(``credbot unblock``), and how both show to a person in a terminal: the preview before the
second admin's confirmation, and the receipt."""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import asdict
from datetime import datetime

import click
from rich.console import Console
from rich.progress import Progress

from bot import wiring
from bot.cli.context import (
    EXIT_PROBLEM_FOUND,
    EXIT_SETTINGS,
    EXIT_UNAVAILABLE,
    Context,
    exits_cleanly,
    fail,
    minute,
    pass_context,
)
from bot.core import agency_cutoff
from bot.core.agencies import AgencyCutoff, CutoffOpen
from bot.core.agency_cutoff import Preview, Receipt
from bot.core.agency_messages import NAMES_SHOWN, SLACK_USER
from bot.core.models import Contractor
from bot.core.sweep import SweepOptions
from bot.slack import agency_card


def offboard_agency(ctx: Context, domain: str, *, reason: str, actor: str) -> None:
    """Ask for an agency cut-off (the card goes to Slack), or finish one two admins agreed
    on, with the sweep's progress bar and the receipt (exit 1 while some are pending)."""
    if not SLACK_USER.match(actor):
        raise click.BadParameter(
            "give your Slack user ID (U…) with --email-domain", param_hint="--actor"
        )
    if not ctx.settings.slack_bot_token or not ctx.settings.audit_channel:
        fail(
            "a cut-off is confirmed by a second admin in Slack: set SLACK_BOT_TOKEN and "
            "CREDBOT_AUDIT_CHANNEL (nothing was changed)",
            EXIT_SETTINGS,
        )
    channel = ctx.settings.audit_channel or ""
    client = wiring.build_slack_client(ctx.settings)
    console = Console(soft_wrap=True)  # lines a script can grep
    try:
        cutoff, found = agency_card.ask_second_admin(
            ctx.core, client, channel=channel, domain=domain, actor=actor, reason=reason
        )
    except agency_card.CardNotPosted as exc:
        fail(f"{exc}; the request was cancelled, nothing was changed", EXIT_UNAVAILABLE)
    except CutoffOpen as exc:
        if exc.cutoff.status != "blocking":
            raise
        options = SweepOptions(worker=f"{socket.gethostname()}:{os.getpid()}")
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"cutting off {exc.cutoff.domain}", total=None)
            receipt = agency_card.carry_out_and_report(
                ctx.core,
                client,
                exc.cutoff,
                options=options,
                audit_channel=channel,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        _print_receipt(receipt, console)
        if not receipt.complete:
            sys.exit(EXIT_PROBLEM_FOUND)
        return
    _print_requested(cutoff, found, channel, console)


@click.command("cutoffs")
@click.option("--all", "everything", is_flag=True, help="Also the cancelled and lifted ones.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
@exits_cleanly
def list_cutoffs(ctx: Context, everything: bool, as_json: bool) -> None:
    """List agency cut-offs, newest first: those awaiting a second admin (pending) and the
    domains whose requests are refused (blocking); with --all, also the cancelled and lifted
    ones."""
    found = agency_cutoff.cutoffs(ctx.core, open_only=not everything)
    if as_json:
        for cutoff in found:
            click.echo(json.dumps(_as_json(cutoff), sort_keys=True))
        return
    if not found:
        click.echo("no agency cut-offs" if everything else "no open agency cut-offs")
    for cutoff in found:
        click.echo(
            f"{cutoff.domain}  {cutoff.status:<9} {_history(cutoff)}: {cutoff.reason}  "
            f"({cutoff.id})"
        )


def _history(cutoff: AgencyCutoff) -> str:
    """Who asked and when, and who decided and lifted it, as far as it went."""
    said = [f"asked by {cutoff.requested_by} {minute(cutoff.requested_at)}"]
    if cutoff.status == "pending":
        said.append("awaits a second admin")
    if cutoff.decided_by and cutoff.decided_at:
        verb = "cancelled" if cutoff.status == "cancelled" else "confirmed"
        said.append(f"{verb} by {cutoff.decided_by} {minute(cutoff.decided_at)}")
    if cutoff.lifted_by and cutoff.lifted_at:
        said.append(f"lifted by {cutoff.lifted_by} {minute(cutoff.lifted_at)}")
    return ", ".join(said)


def _as_json(cutoff: AgencyCutoff) -> dict[str, str | None]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(cutoff).items()
    }


@click.command()
@click.option("--email-domain", required=True, metavar="DOMAIN", help="The agency's domain.")
@click.option("--reason", required=True, help="Why the block ends (kept in the audit trail).")
@click.option("--actor", default="cli", show_default=True, help="Who lifts the block.")
@pass_context
@exits_cleanly
def unblock(ctx: Context, email_domain: str, reason: str, actor: str) -> None:
    """Lift an agency's block (see offboard --email-domain): requests for the domain are
    accepted again, each still checked and approved. Exit 5 if it is not blocked."""
    lifted = agency_cutoff.lift_block(ctx.core, email_domain, actor=actor, reason=reason)
    click.echo(f"{lifted.domain}: block lifted; requests for it are accepted again")


def _print_requested(cutoff: AgencyCutoff, found: Preview, channel: str, console: Console) -> None:
    """What was asked and who it would affect; nothing has changed yet."""
    console.print(
        f"Cut-off of {cutoff.domain} requested ({cutoff.id}): {len(found.with_access)} "
        f"contractor(s) with access would be revoked, {len(found.onboarding)} onboarding "
        "request(s) rejected:"
    )
    people = found.with_access + found.onboarding
    for contractor in people[:NAMES_SHOWN]:
        console.print(f"  {_name(contractor)}", highlight=False)
    if len(people) > NAMES_SHOWN:
        console.print(f"  … and {len(people) - NAMES_SHOWN} more")
    console.print(
        f"Nothing has changed yet: a second admin must confirm on the card posted to {channel} "
        "in Slack (you cannot confirm your own request)."
    )


def _print_receipt(receipt: Receipt, console: Console) -> None:
    """The receipt: revoked (with Vault's proof), rejected, and who is still pending, by
    name."""
    domain = receipt.cutoff.domain
    console.print(
        f"{domain} cut off: {len(receipt.revoked)} revoked (Vault proved each account gone), "
        f"{len(receipt.rejected)} onboarding request(s) rejected."
    )
    for contractor, why in receipt.pending:
        console.print(f"[yellow]still pending:[/] {_name(contractor)}: {why}", highlight=False)
    if receipt.complete:
        console.print(f"[green]Nobody at {domain} holds or awaits access.[/]")
    console.print(f"New requests for {domain} are refused until `credbot unblock`.")


def _name(contractor: Contractor) -> str:
    return f"{contractor.display_name or '(erased)'} <{contractor.email}> {contractor.id}"
