"""The "End my access" button in App Home: a contractor ends their own credentials only."""

from __future__ import annotations

from typing import Any

from bot.core.states import State
from bot.dev.slack_requests import block_action
from bot.slack import blocks
from tests.support.slack import APPROVER, CONTRACTOR, MANAGER, SlackWorld


def home_click(world: SlackWorld, user: str) -> int:
    """Click "End my access" in ``user``'s Home tab, as Slack posts it."""
    payload: dict[str, Any] = block_action(
        user_id=user,
        action_id=blocks.END_MY_ACCESS,
        value="end",
        channel="",
        message_ts="",
        response_url="",
    )
    payload["container"] = {"type": "view", "view_id": "VHOME0001"}
    payload["view"] = {"id": "VHOME0001", "type": "home"}
    for key in ("channel", "message", "response_url"):
        payload.pop(key)
    return world.slack.interact(payload).status


def issued_world(world: SlackWorld) -> None:
    world.onboard()
    world.click(blocks.APPROVE, user=APPROVER)
    world.wait_state("issued")


def test_contractor_sees_the_button_and_ends_their_access(slack_world: SlackWorld) -> None:
    issued_world(slack_world)
    slack_world.slack.event({"type": "app_home_opened", "user": CONTRACTOR, "tab": "home"})
    home = slack_world.standin.wait_for_call("views.publish", user_id=CONTRACTOR)
    assert blocks.END_MY_ACCESS in str(home.args["view"])

    assert home_click(slack_world, CONTRACTOR) == 200
    slack_world.wait_state("revoked")
    refreshed = slack_world.standin.wait_for_call("views.publish", user_id=CONTRACTOR, count=2)
    assert blocks.END_MY_ACCESS not in str(refreshed.args["view"])


def test_the_button_never_ends_someone_elses_access(slack_world: SlackWorld) -> None:
    issued_world(slack_world)
    assert home_click(slack_world, MANAGER) == 200
    slack_world.standin.wait_for_call("views.publish", user_id=MANAGER)
    assert slack_world.contractor().state is State.ISSUED  # type: ignore[union-attr]
