"""The onboarding modal, App Home, and Slack accounts that go away."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.core.states import State
from bot.slack import blocks
from tests.support.slack import (
    ADMIN,
    APPROVER,
    BOT_USER,
    CONTRACTOR,
    MANAGER,
    OUTSIDER,
    SlackWorld,
)


def test_onboard_without_arguments_opens_the_modal_for_managers_only(
    slack_world: SlackWorld,
) -> None:
    reply, _ = slack_world.command("onboard")
    assert reply.status == 200
    opened = slack_world.standin.wait_for_call("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == blocks.ONBOARD_VIEW
    assert [b["block_id"] for b in view["blocks"]] == list(blocks.FIELDS)
    assert "only managers" in slack_world.command_reply("onboard", user=OUTSIDER)
    assert len(slack_world.standin.calls("views.open")) == 1


def test_modal_submission_requests_and_posts_the_card(slack_world: SlackWorld) -> None:
    reply = slack_world.submit_onboard_form()
    assert reply.status == 200 and reply.body in (b"", b"{}")
    told = slack_world.standin.wait_for_call("chat.postMessage", channel=MANAGER)
    assert "identity checks are waiting" in told.args["text"]
    slack_world.attest(slack_world.verification_card())
    slack_world.card()
    assert slack_world.contractor().state is State.AWAITING_APPROVAL  # type: ignore[union-attr]
    told = slack_world.standin.wait_for_call("chat.postMessage", channel=MANAGER, count=2)
    assert "passed the identity checks and went to the approvers" in told.args["text"]


def test_modal_errors_are_shown_inline_and_change_nothing(slack_world: SlackWorld) -> None:
    before = slack_world.audit_count()
    past = (date.today() - timedelta(days=3)).isoformat()
    cases: dict[str, dict[str, Any]] = {
        "end": {"end": {"type": "datepicker", "selected_date": past}},
        "country": {"country": {"type": "plain_text_input", "value": "D1"}},
        "contractor": {"contractor": {"type": "users_select", "selected_user": BOT_USER}},
    }
    for block, values in cases.items():
        reply = slack_world.submit_onboard_form(**values)
        assert reply.status == 200
        answer = reply.json()
        assert answer["response_action"] == "errors"
        assert list(answer["errors"]) == [block]
    outsider = slack_world.submit_onboard_form(user=OUTSIDER).json()
    assert "only managers" in outsider["errors"]["contractor"]
    assert slack_world.audit_count() == before


def test_app_home_shows_each_person_their_part(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    for user, expected in (
        (MANAGER, "Your contractors"),
        (ADMIN, "Pending requests"),
        (CONTRACTOR, "Your access"),
        (OUTSIDER, "Nothing to show"),
    ):
        reply = slack_world.slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
        assert reply.status == 200
        published = slack_world.standin.wait_for_call("views.publish", user_id=user)
        assert expected in str(published.args["view"])
    contractor_home = str(slack_world.standin.calls("views.publish")[2].args["view"])
    assert "contract ends" in contractor_home


def test_a_deactivated_account_is_revoked_only_when_slack_confirms_it(
    slack_world: SlackWorld,
) -> None:
    slack_world.onboard()
    slack_world.click(blocks.APPROVE, user=APPROVER)
    slack_world.wait_state("issued")
    event = {"type": "user_change", "user": {"id": CONTRACTOR, "deleted": True}}
    assert slack_world.slack.event(event).status == 200  # Slack still says active: a lie
    slack_world.standin.wait_for_call("users.info", user=CONTRACTOR, count=2)
    assert slack_world.contractor().state is State.ISSUED  # type: ignore[union-attr]
    slack_world.standin.users[CONTRACTOR]["deleted"] = True
    event = {"type": "user_change", "user": {"id": CONTRACTOR, "deleted": True}}
    assert slack_world.slack.event(event).status == 200  # now Slack says so too
    slack_world.wait_state("revoked")
