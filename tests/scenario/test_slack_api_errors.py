"""Slack API errors are retried (rate limits) or reported to a person, never swallowed."""

from __future__ import annotations

import logging

import pytest

from bot.core.states import State
from bot.slack import blocks
from tests.support.slack import (
    APPROVAL_CHANNEL,
    APPROVER,
    AUDIT_CHANNEL,
    CONTRACTOR,
    GROUP_APPROVER,
    MANAGER,
    SlackWorld,
)


def test_a_rate_limited_lookup_is_retried_after_retry_after(slack_world: SlackWorld) -> None:
    slack_world.standin.fail("users.info", "ratelimited", retry_after=1)
    assert "identity checks are waiting" in slack_world.onboard()
    lookups = slack_world.standin.calls("users.info")
    assert len(lookups) >= 2  # the request's lookup (refused, then retried), then the checks'
    assert lookups[1].at - lookups[0].at >= 0.9


def test_a_rate_limited_link_dm_is_retried_and_delivered_once(slack_world: SlackWorld) -> None:
    dm = slack_world.standin.dm_channel(CONTRACTOR)
    slack_world.standin.fail("chat.postMessage", "ratelimited", when={"channel": dm})
    slack_world.onboard()
    slack_world.click(blocks.APPROVE, user=APPROVER)
    slack_world.standin.wait_for_call("chat.postMessage", channel=dm, count=2)
    slack_world.wait_state("issued")
    attempts = [c for c in slack_world.standin.calls("chat.postMessage") if c.args["channel"] == dm]
    assert len(attempts) == 2  # one refused with 429, one delivered


def test_a_missing_approval_channel_is_reported_to_manager_and_admins(
    slack_world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    slack_world.standin.fail(
        "chat.postMessage", "channel_not_found", when={"channel": APPROVAL_CHANNEL}
    )
    reply = slack_world.onboard()
    assert "approval card could not be posted (channel_not_found)" in reply
    alert = slack_world.standin.wait_for_call("chat.postMessage", channel=AUDIT_CHANNEL)
    assert "channel_not_found" in alert.args["text"]
    assert "channel_not_found" in caplog.text


def test_a_failed_link_dm_is_seen_by_requester_admins_and_approver(
    slack_world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    slack_world.standin.fail("conversations.open", "cannot_dm_bot", when={"users": CONTRACTOR})
    slack_world.onboard()
    slack_world.click(blocks.APPROVE, user=APPROVER)
    alert = slack_world.standin.wait_for_call("chat.postMessage", channel=AUDIT_CHANNEL)
    assert "could not be delivered (cannot_dm_bot)" in alert.args["text"]
    slack_world.standin.wait_for(
        lambda _: any("could not be sent" in m["text"] for m in slack_world.dms_to(MANAGER))
    )
    note = slack_world.card_update(count=2)
    assert "DM with the link failed (cannot_dm_bot)" in str(note.args["blocks"])
    assert slack_world.contractor().state is State.ISSUED  # type: ignore[union-attr]
    assert "/enroll" not in caplog.text
    # the fix: reissue once the cause is gone
    assert "new link was DMed" in slack_world.command_reply(f"reissue <@{CONTRACTOR}>")


def test_a_user_group_that_cannot_be_resolved_grants_nothing_and_says_why(
    slack_world: SlackWorld,
) -> None:
    slack_world.onboard()
    slack_world.standin.fail("usergroups.users.list", "missing_scope")
    _, response_url = slack_world.click(blocks.APPROVE, user=GROUP_APPROVER)
    text = slack_world.response(response_url)["text"]
    assert "could not check your role with Slack (missing_scope)" in text
    assert slack_world.contractor().state is State.AWAITING_APPROVAL  # type: ignore[union-attr]
