"""``/contractor sweep`` for admins: the real sweep, reported in Slack."""

from __future__ import annotations

from bot.slack import blocks
from tests.support.slack import ADMIN, APPROVER, CONTRACTOR, SlackWorld


def test_admin_sweep_reports_and_dry_run_changes_nothing(slack_world: SlackWorld) -> None:
    before = slack_world.audit_count()
    dry = slack_world.command_reply("sweep dry-run", user=ADMIN)
    assert "dry run" in dry and "Nothing due." in dry
    assert slack_world.audit_count() == before

    done = slack_world.command_reply("sweep", user=ADMIN)
    assert "Nothing due." in done and "All done." in done


def test_admin_sweep_revokes_a_contractor_slack_reports_deactivated(
    slack_world: SlackWorld,
) -> None:
    slack_world.onboard()
    slack_world.click(blocks.APPROVE, user=APPROVER)
    slack_world.wait_state("issued")
    slack_world.standin.users[CONTRACTOR]["deleted"] = True
    reply = slack_world.command_reply("sweep", user=ADMIN)
    assert f"<@{CONTRACTOR}>: deactivated, done" in reply
    slack_world.wait_state("revoked")
