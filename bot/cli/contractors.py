"""``credbot list|status|offboard``: contractors one at a time (a whole agency at once:
``bot.cli.agencies``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from bot.cli.agencies import offboard_agency
from bot.cli.context import Context, exits_cleanly, pass_context
from bot.core import queries, revocation
from bot.core.models import Contractor, IdentityVerification
from bot.core.states import State


def _as_json(record: Contractor | IdentityVerification) -> dict[str, Any]:
    data = asdict(record)
    return {
        key: str(value) if not isinstance(value, int | type(None)) else value
        for key, value in data.items()
    }


@click.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in State]),
    help="Only these states (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
@exits_cleanly
def list_contractors(ctx: Context, states: tuple[str, ...], as_json: bool) -> None:
    """List contractors, oldest first."""
    contractors = queries.list_contractors(
        ctx.core, states=[State(s) for s in states] if states else None
    )
    for contractor in contractors:
        if as_json:
            click.echo(json.dumps(_as_json(contractor), sort_keys=True))
        else:
            click.echo(
                f"{contractor.id}  {contractor.slack_user_id:<12} {contractor.state.value:<18}"
                f" {contractor.role:<10} ends {contractor.end_date}  {contractor.username or '-'}"
            )


@click.command()
@click.argument("contractor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
@exits_cleanly
def status(ctx: Context, contractor: str, as_json: bool) -> None:
    """Show one contractor, by contractor ID or Slack user ID, with the identity checks last
    run on the request and its KYC verifications (a service's reference included)."""
    found = queries.find_contractor(ctx.core, contractor)
    checks = queries.check_results(ctx.core, found.id)
    verifications = queries.verifications(ctx.core, found.id)
    if as_json:
        shown = {
            **_as_json(found),
            "identity_checks": [asdict(check) for check in checks],
            "identity_verifications": [_as_json(v) for v in verifications],
        }
        click.echo(json.dumps(shown, sort_keys=True, indent=2))
        return
    for key, value in _as_json(found).items():
        click.echo(f"{key:>22}: {value}")
    for check in checks:
        click.echo(f"{'check':>22}: {check.check}: {check.outcome}: {check.reason}")
    for v in verifications:
        by = f" by {v.verified_by}" if v.verified_by else ""
        click.echo(f"{'verification':>22}: {v.method} {v.reference}: {v.status}{by}")


@click.command()
@click.argument("contractor", required=False)
@click.option(
    "--email-domain",
    metavar="DOMAIN",
    help="Instead of one contractor: cut off everyone whose email is at exactly DOMAIN, once "
    "a second admin confirms on the card this posts to CREDBOT_AUDIT_CHANNEL; run it again "
    "after the confirmation to finish what is still pending.",
)
@click.option("--reason", required=True, help="Why access ends (kept in the audit trail).")
@click.option(
    "--actor",
    default="cli",
    show_default=True,
    help="Who is offboarding; with --email-domain your Slack user ID (U…), so that you cannot "
    "confirm your own cut-off.",
)
@pass_context
@exits_cleanly
def offboard(
    ctx: Context, contractor: str | None, email_domain: str | None, reason: str, actor: str
) -> None:
    """Revoke every credential of a contractor now. Exit 1 if Vault could not finish yet."""
    if (contractor is None) == (email_domain is None):
        raise click.UsageError("name one contractor, or give --email-domain")
    if email_domain is not None:
        offboard_agency(ctx, email_domain, reason=reason, actor=actor)
        return
    found = queries.find_contractor(ctx.core, contractor or "")
    result = revocation.offboard(ctx.core, found.id, actor=actor, reason=reason)
    click.echo(f"{result.id}: {result.state.value}")
