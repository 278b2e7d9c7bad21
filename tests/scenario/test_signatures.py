"""Only requests signed by Slack, within 5 minutes, and only once, reach a listener."""

from __future__ import annotations

import logging
import time

import pytest

from bot.dev.slack_requests import FORM, JSON, command_body, signed_headers
from tests.support.logs import capture_debug
from tests.support.slack import MANAGER, SECRET, SlackWorld

CANARY = "canary-text-7f3a"


def _body(world: SlackWorld) -> bytes:
    return command_body(
        f"onboard <@UCONTR0001> country=DE end=2030-01-01 {CANARY}",
        user_id=MANAGER,
        response_url=world.standin.response_url(),
    )


def _assert_nothing_happened(world: SlackWorld, before: int) -> None:
    time.sleep(0.3)
    assert world.audit_count() == before
    assert world.contractor() is None
    assert world.standin.calls("users.info") == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": str(int(time.time()))},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"},
    ],
    ids=["unsigned", "no-signature", "bad-signature"],
)
def test_unsigned_or_badly_signed_requests_are_refused_and_logged_without_body(
    slack_world: SlackWorld, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    before = slack_world.audit_count()
    capture_debug(caplog)
    reply = slack_world.slack.post_raw(
        _body(slack_world), headers={"Content-Type": FORM, **headers}
    )
    assert reply.status == 401
    _assert_nothing_happened(slack_world, before)
    assert "refused a Slack request" in caplog.text
    assert CANARY not in caplog.text


def test_a_signature_for_another_secret_is_refused(slack_world: SlackWorld) -> None:
    body = _body(slack_world)
    headers = signed_headers("not-the-secret", body, content_type=FORM)
    assert slack_world.slack.post_raw(body, headers=headers).status == 401


def test_a_body_changed_after_signing_is_refused(slack_world: SlackWorld) -> None:
    body = _body(slack_world)
    headers = signed_headers(SECRET, body, content_type=FORM)
    assert slack_world.slack.post_raw(body + b"x", headers=headers).status == 401


def test_a_timestamp_older_than_five_minutes_is_refused(
    slack_world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    before = slack_world.audit_count()
    caplog.set_level(logging.INFO)
    stale = int(time.time()) - 5 * 60 - 5
    reply = slack_world.slack.post(_body(slack_world), content_type=FORM, timestamp=stale)
    assert reply.status == 401
    _assert_nothing_happened(slack_world, before)
    assert "5-minute window" in caplog.text and CANARY not in caplog.text


def test_a_replayed_request_is_refused(
    slack_world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    body = command_body("help", user_id=MANAGER, response_url=slack_world.standin.response_url())
    headers = signed_headers(SECRET, body, content_type=FORM)
    assert slack_world.slack.post_raw(body, headers=headers).status == 200
    caplog.set_level(logging.INFO)
    assert slack_world.slack.post_raw(body, headers=headers).status == 401
    assert "replayed" in caplog.text


def test_url_verification_answers_the_challenge_only_when_signed(slack_world: SlackWorld) -> None:
    body = b'{"token":"x","challenge":"c-123","type":"url_verification"}'
    reply = slack_world.slack.post(body, content_type=JSON)
    assert reply.status == 200 and "c-123" in reply.text
    unsigned = slack_world.slack.post_raw(body, headers={"Content-Type": JSON})
    assert unsigned.status == 401 and "c-123" not in unsigned.text
