"""``credbot review status|export``: open access reviews, and the auditors' evidence of who
decided what, when.

Reads the database only: no Vault, no Slack.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from datetime import datetime
from typing import IO, Any

import click

from bot.cli.context import Context, exits_cleanly, minute, pass_context
from bot.core.review_interfaces import AccessReview

EXPORT_FIELDS = (
    "id",
    "round",
    "contractor_id",
    "contractor_slack_id",
    "contractor_name",
    "manager",
    "recipient",
    "deadline",
    "sent_at",
    "reminded_at",
    "decision",
    "decided_by",
    "decided_at",
)
"""The export's columns (CSV header, JSON keys), in this order."""


@click.group()
def review() -> None:
    """Access reviews (CREDBOT_ACCESS_REVIEW_INTERVAL): open ones and the decisions made."""


@review.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
@exits_cleanly
def review_status(ctx: Context, as_json: bool) -> None:
    """The open reviews: whose access, who must answer, by when, and what was sent."""
    latest = ctx.database.reviews.latest_round()
    open_reviews = ctx.database.reviews.reviews(open_only=True)
    if as_json:
        for item in open_reviews:
            click.echo(json.dumps(_record(item), sort_keys=True))
        return
    if latest is None:
        click.echo("no access review has started yet")
        return
    click.echo(
        f"latest round {latest.number}: started {minute(latest.started_at)}, "
        f"answers due by {minute(latest.deadline)}; {len(open_reviews)} open review(s)"
    )
    for item in open_reviews:
        who = "the admins" if item.recipient == "admins" else f"manager {item.manager}"
        sent = "reminded" if item.reminded_at else "sent" if item.sent_at else "not sent yet"
        click.echo(
            f"  {item.id}  {item.contractor_name} ({item.contractor_slack_id}): {who} must "
            f"answer by {minute(item.deadline)} [{sent}]"
        )


@review.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="CSV with a header row, or one JSON object per line.",
)
@click.option("--round", "round_number", type=click.IntRange(min=1), help="Only this round.")
@click.option("-o", "--output", type=click.File("w"), default="-", help="File (default stdout).")
@pass_context
@exits_cleanly
def review_export(ctx: Context, fmt: str, round_number: int | None, output: IO[str]) -> None:
    """Every review with its decision, who made it and when (``lapsed``: nobody answered by
    the deadline, and access ended), oldest round first: the auditors' evidence."""
    records = [_record(item) for item in ctx.database.reviews.reviews(round_number=round_number)]
    if fmt == "json":
        for record in records:
            output.write(json.dumps(record, sort_keys=True) + "\n")
        return
    writer = csv.DictWriter(output, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)


def _record(item: AccessReview) -> dict[str, Any]:
    data = asdict(item)
    return {
        name: data[name].isoformat() if isinstance(data[name], datetime) else data[name]
        for name in EXPORT_FIELDS
    }
