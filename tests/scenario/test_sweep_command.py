"""``/contractor sweep`` for admins: the real sweep, reported in Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.sweep import SWEEP_LEASE
from bot.slack import blocks
from bot.storage.leases import SqlLeases
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


def test_while_a_replica_sweeps_an_admins_sweep_says_so_and_does_nothing(
    slack_world: SlackWorld, leases: SqlLeases
) -> None:
    """Like ``credbot sweep``: one sweep at a time across replicas; a dry run changes nothing,
    so it runs anyway."""
    slack_world.onboard()
    slack_world.click(blocks.APPROVE, user=APPROVER)
    slack_world.wait_state("issued")
    slack_world.standin.users[CONTRACTOR]["deleted"] = True
    leases.take_lease(
        SWEEP_LEASE, holder="credbot-7f9c:1", now=datetime.now(UTC), ttl=timedelta(minutes=2)
    )
    before = slack_world.audit_count()

    busy = slack_world.command_reply("sweep", user=ADMIN)
    assert "Another sweep is running (credbot-7f9c:1" in busy and "nothing was done" in busy
    assert slack_world.audit_count() == before
    assert "deactivated" in slack_world.command_reply("sweep dry-run", user=ADMIN)

    leases.release_lease(SWEEP_LEASE, holder="credbot-7f9c:1")
    assert f"<@{CONTRACTOR}>: deactivated, done" in slack_world.command_reply("sweep", user=ADMIN)
    slack_world.wait_state("revoked")
