"""How ``credbot sweep`` shows a report to a person: ``sweep_summary`` (the one wording, in
``bot.core.messages``) as a rich table and coloured lines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot.core.messages import sweep_summary
from bot.core.sweep import SweepReport


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
