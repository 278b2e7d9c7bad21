"""The sweep's report reads the same in the CLI and in Slack: one wording, two markups."""

from __future__ import annotations

from rich.console import Console

from bot.cli.sweep import print_report
from bot.core.sweep import SweepItem, SweepReport
from bot.slack.messages import sweep_report


def _cli(report: SweepReport) -> str:
    console = Console(record=True, width=200)
    print_report(report, console)
    return console.export_text()


def test_cli_and_slack_say_the_same_about_a_sweep_left_pending() -> None:
    report = SweepReport(
        dry_run=False,
        items=[SweepItem("c1", "U1", "contract_ended", outcome="pending", detail="Vault down")],
        orphans=["ctr-orphan"],
        breaker="too many revocations at once",
        erased=2,
    )
    cli, slack = _cli(report), sweep_report(report)
    for said in (
        "1 revocation(s) still pending. The next sweep retries.",
        "Orphan Vault users (no live record; `credbot sweep --fix-drift` removes them)",
        "Circuit breaker: too many revocations at once",
        "Personal data of 2 finished record(s) erased (retention).",
    ):
        assert said in cli
        assert said in slack
    assert "All done." not in cli + slack


def test_a_clean_dry_run_says_so_in_both() -> None:
    report = SweepReport(dry_run=True)
    assert "Sweep (dry run: nothing changed)" in sweep_report(report)
    for text in (_cli(report), sweep_report(report)):
        assert "Nothing due." in text and "All done." in text
