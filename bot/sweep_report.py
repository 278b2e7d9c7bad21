"""How ``credbot sweep`` shows a report to a person: a rich table and a one-line verdict."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot import messages
from bot.core.reviews import ReviewRun
from bot.core.sweep import SweepReport


def review_line(run: ReviewRun) -> str:
    """What access reviews did in the run, in one line."""
    started = f"round {run.started_round} started; " if run.started_round else ""
    return (
        f"Access reviews: {started}{run.sent} sent, {run.reminded} reminded, "
        f"{run.lapsed} lapsed unanswered."
    )


def print_report(report: SweepReport, console: Console) -> None:
    """A table of what was acted on, the reconciliation findings, and the verdict."""
    title = "Sweep (dry run: nothing changed)" if report.dry_run else "Sweep"
    table = Table(title=title)
    for column in ("contractor", "Slack user", "action", "outcome", "detail"):
        table.add_column(column)
    for item in report.items:
        table.add_row(
            item.contractor_id, item.slack_user_id, item.action, item.outcome, item.detail
        )
    if report.items:
        console.print(table)
    else:
        console.print("Nothing due.")
    for label, names in (
        ("Accounts not in use (revoked by the sweep)", report.stale_accounts),
        ("Orphan Vault users (no live record; removed only with --fix-drift)", report.orphans),
        ("Orphans removed", report.orphans_removed),
        ("Issued/active contractors missing in Vault", report.missing),
    ):
        if names:
            console.print(f"{label}: {', '.join(names)}")
    for note in messages.sweep_notes(report):
        console.print(note)
    if report.reviews is not None:
        console.print(review_line(report.reviews))
    if report.breaker:
        console.print(f"[bold red]Circuit breaker:[/] {report.breaker}")
    for problem in report.problems:
        console.print(f"[red]Problem:[/] {problem}")
    if report.all_done:
        console.print("[green]All done.[/]")
    else:
        console.print(f"[yellow]{len(report.pending)} revocation(s) still pending.[/]")
