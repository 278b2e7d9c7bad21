"""Bad input gets a clear ephemeral message and changes nothing."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from tests.support.slack import (
    BOT_USER,
    CONTRACTOR,
    DELETED,
    MANAGER,
    NO_EMAIL,
    OUTSIDER,
    SlackWorld,
)


def _unchanged(world: SlackWorld, before: int) -> None:
    time.sleep(0.2)
    assert world.audit_count() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate", "unknown subcommand `frobnicate`"),
        ("onboard @ana country=DE end=2030-01-01", "is not a Slack user mention"),
        ("onboard <@UCONTR0001> country=Germany end=2030-01-01", "two-letter ISO 3166 code"),
        ("onboard <@UCONTR0001> country=DE end=31.03.2030", "is not a date like 2027-03-31"),
        ("onboard <@UCONTR0001> country=DE end=2030-02-30", "is not a date"),
        ("onboard <@UCONTR0001> end=2030-01-01", "country= is missing"),
        ("offboard", "name the contractor with an @-mention"),
        ("list nonsense", "is not a state"),
        ("status <@UCONTR0001> extra", "takes only the @-mention"),
    ],
)
def test_malformed_commands_are_answered_in_the_ack(
    slack_world: SlackWorld, text: str, expected: str
) -> None:
    before = slack_world.audit_count()
    reply, _ = slack_world.command(text)
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert expected in body["text"]
    _unchanged(slack_world, before)
    assert slack_world.standin.calls("users.info") == []


def test_help_lists_every_subcommand(slack_world: SlackWorld) -> None:
    reply, _ = slack_world.command("help")
    text = reply.json()["text"]
    for sub in ("onboard", "offboard", "reissue", "status", "list", "sweep", "help"):
        assert f"/contractor {sub}" in text
    assert "reconciles Vault" in slack_world.command("help sweep")[0].json()["text"]


def test_unknown_country_code_is_refused_by_the_core(slack_world: SlackWorld) -> None:
    before = slack_world.audit_count()
    assert "not an ISO 3166 country code" in slack_world.onboard(country="XX")
    _unchanged(slack_world, before)
    assert slack_world.contractor() is None


def test_end_date_in_the_past_is_refused(slack_world: SlackWorld) -> None:
    past = (date.today() - timedelta(days=1)).isoformat()
    assert "must be in the future" in slack_world.onboard(end=past)
    assert slack_world.contractor() is None


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (BOT_USER, "is a bot or app"),
        (DELETED, "deactivated Slack account"),
        (NO_EMAIL, "has no email address"),
        ("UNOBODY01", "is not a user of this workspace"),
    ],
)
def test_people_who_cannot_be_contractors_are_refused(
    slack_world: SlackWorld, user: str, expected: str
) -> None:
    before = slack_world.audit_count()
    assert expected in slack_world.onboard(user)
    _unchanged(slack_world, before)
    assert slack_world.contractor(user) is None


def test_onboarding_someone_with_a_live_record_is_refused(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    before = slack_world.audit_count()
    assert "already has a live credential or request" in slack_world.onboard()
    _unchanged(slack_world, before)
    assert len(slack_world.standin.calls("chat.postMessage")) >= 1


def test_a_non_manager_cannot_onboard(slack_world: SlackWorld) -> None:
    before = slack_world.audit_count()
    reply = slack_world.onboard(user=OUTSIDER)
    assert "only managers can onboard" in reply
    _unchanged(slack_world, before)
    assert slack_world.standin.calls("users.info") == []


def test_a_manager_cannot_onboard_themselves(slack_world: SlackWorld) -> None:
    assert "cannot request credentials for yourself" in slack_world.onboard(MANAGER)


def test_status_and_list_are_role_scoped(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    assert "waiting for an approver" in slack_world.command_reply(f"status <@{CONTRACTOR}>")
    assert "Not allowed" in slack_world.command_reply(f"status <@{CONTRACTOR}>", user=OUTSIDER)
    assert f"<@{CONTRACTOR}>" in slack_world.command_reply("list awaiting_approval")
    assert "No contractors" in slack_world.command_reply("list revoked")
    assert "only admins can run the sweep" in slack_world.command_reply("sweep")
