"""Socket Mode: the same app over Slack's WebSocket. Envelopes are acked at once, with the
same effects as over HTTP; departures are recorded before the ack and deduplicated."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from slack_bolt import Ack, App

from bot import wiring
from bot.core.states import State
from bot.dev.slack_requests import block_action, view_submission
from bot.dev.slack_standin import STANDIN_APP_TOKEN, Call, SlackStandIn
from bot.slack import blocks
from bot.slack.after_ack import AfterAck
from bot.slack.socket_mode import SlackSocket
from tests.support.logs import capture_debug
from tests.support.slack import (
    APPROVAL_CHANNEL,
    APPROVER,
    CONTRACTOR,
    MANAGER,
    card_contractor_id,
    latest_contractor,
    posted_to,
)
from tests.support.slack_socket import SocketModeStandIn, SocketWorld, socket_settings

ACK_WITHIN_S = 1.0
"""Slack allows 3 s; the ack must come well inside it."""


def command(world: SocketWorld, text: str, *, user: str = MANAGER) -> str:
    """Type ``/contractor text``; check the prompt, empty ack; return what follows on the
    ``response_url``."""
    response_url = world.standin.response_url()
    ack = world.slack.ack(world.slack.command(text, user_id=user, response_url=response_url))
    assert ack.after_s < ACK_WITHIN_S, ack
    return str(posted_to(world.standin, response_url)["text"])


def issued(world: SocketWorld) -> None:
    """Onboard the contractor and approve them, over the socket; wait for the link's DM (the
    last thing issuing does)."""
    end = (date.today() + timedelta(days=90)).isoformat()
    reply = command(world, f"onboard <@{CONTRACTOR}|ana> country=DE end={end} role=reviewer why")
    assert "kyc_attestation: *waiting*" in reply
    verification = world.standin.wait_for_call("chat.postMessage", channel=APPROVAL_CHANNEL)
    click(world, verification, blocks.ATTEST)
    form = world.standin.wait_for_call("views.open").args["view"]
    attestation = view_submission(
        user_id=APPROVER,
        callback_id=blocks.ATTEST_VIEW,
        private_metadata=form["private_metadata"],
        values={
            "document_type": {"type": "static_select", "selected_option": {"value": "passport"}}
        },
    )
    assert world.slack.ack(world.slack.interact(attestation)).after_s < ACK_WITHIN_S
    card = world.standin.wait_for_call("chat.postMessage", channel=APPROVAL_CHANNEL, count=2)
    click(world, card, blocks.APPROVE)
    deadline = time.monotonic() + 15
    while (found := latest_contractor(world.core)) is None or found.state is not State.ISSUED:
        assert time.monotonic() < deadline, found
        time.sleep(0.05)
    world.standin.wait_for_call("chat.postMessage", channel=world.standin.dm_channel(CONTRACTOR))


def click(world: SocketWorld, card: Call, action_id: str) -> None:
    """An approver clicks a button on ``card``; the ack comes at once."""
    payload = block_action(
        user_id=APPROVER,
        action_id=action_id,
        value=card_contractor_id(card),
        channel=APPROVAL_CHANNEL,
        message_ts=str(card.reply["ts"]),
        response_url=world.standin.response_url(),
    )
    assert world.slack.ack(world.slack.interact(payload)).after_s < ACK_WITHIN_S


def test_help_is_answered_inside_the_ack_and_no_secret_is_logged(
    socket_world: SocketWorld, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    envelope = socket_world.slack.command("help", user_id=MANAGER, response_url="https://x/")
    ack = socket_world.slack.ack(envelope)
    assert ack.after_s < ACK_WITHIN_S, ack
    assert ack.payload is not None and ack.payload["response_type"] == "ephemeral"
    assert "/contractor onboard" in ack.payload["text"]
    opened = socket_world.standin.calls("apps.connections.open")
    assert len(opened) == 1 and opened[0].reply["ok"]
    assert STANDIN_APP_TOKEN not in str(socket_world.standin.calls())
    assert STANDIN_APP_TOKEN not in caplog.text


def test_onboard_and_approve_over_the_socket_do_what_they_do_over_http(
    socket_world: SocketWorld,
) -> None:
    issued(socket_world)
    link_dm = socket_world.standin.messages_to(socket_world.standin.dm_channel(CONTRACTOR))
    assert "/enroll#" in link_dm[-1]["text"]
    assert "issued" in command(socket_world, f"status <@{CONTRACTOR}>")


def test_roles_are_checked_as_over_http(socket_world: SocketWorld) -> None:
    assert "list contractors" in command(socket_world, "list", user=CONTRACTOR)
    assert command(socket_world, "list", user=MANAGER) == "No contractors."


def test_a_departure_is_recorded_before_the_ack_and_a_retry_is_ignored(
    socket_world: SocketWorld,
) -> None:
    issued(socket_world)
    standin, slack = socket_world.standin, socket_world.slack
    standin.fail("users.info", "internal_error", when={"user": CONTRACTOR})
    lookups = len(standin.calls("users.info"))
    leave = {"type": "user_change", "user": {"id": CONTRACTOR, "deleted": True}}

    slack.ack(slack.event(leave, event_id="EvLEAVE0001"))
    # durable before the ack: the event is in the database by the time Slack has the ack
    assert [e.event_id for e in socket_world.core.store.pending_events()] == ["EvLEAVE0001"]
    standin.wait_for_call("users.info", user=CONTRACTOR, count=lookups + 1)  # failed: pending

    slack.ack(slack.event(leave, event_id="EvLEAVE0001", retry_attempt=1))
    time.sleep(0.5)  # time enough for a second lookup, were the retry not recognised
    assert len(standin.calls("users.info")) == lookups + 1
    assert [e.event_id for e in socket_world.core.store.pending_events()] == ["EvLEAVE0001"]

    standin.users[CONTRACTOR]["deleted"] = True
    change = {"type": "user_change", "user": {"id": CONTRACTOR, "deleted": True}}
    slack.ack(slack.event(change, event_id="EvCHANGE0001"))
    deadline = time.monotonic() + 15
    while (found := latest_contractor(socket_world.core)).state is not State.REVOKED:  # type: ignore[union-attr]
        assert time.monotonic() < deadline, found
        time.sleep(0.05)
    # the events are marked done after the revocation they led to, in the same worker
    while (left := socket_world.core.store.pending_events()) != []:
        assert time.monotonic() < deadline, left
        time.sleep(0.05)


def test_the_app_reconnects_when_slack_asks(socket_world: SocketWorld) -> None:
    socket_world.slack.disconnect()
    socket_world.slack.wait_connected(opened=2)
    # the SDK closes the old connection once its reader lets go (up to its 3 s read timeout);
    # until then the new connection's envelopes wait, and Slack keeps using the old one
    socket_world.slack.wait_closed(count=1)
    assert len(socket_world.standin.calls("apps.connections.open")) == 2
    assert command(socket_world, "list") == "No contractors."


def test_work_after_the_ack_waits_while_an_envelope_awaits_its_ack(
    standin: SlackStandIn, socket_standin: SocketModeStandIn
) -> None:
    """As at the HTTP door: the work that earlier acks handed on does not take the GIL from an
    envelope Slack is timing. Here the listener itself hands work on and then takes its time
    to ack: the work starts only once the ack is sent (without the hold: after 50 ms)."""
    settings = socket_settings(standin)
    after_ack = AfterAck(max_defer_s=10)
    happened: list[str] = []
    app = App(
        client=wiring.build_slack_client(settings),
        token_verification_enabled=False,
        request_verification_enabled=False,
        process_before_response=True,
    )

    @app.command("/contractor")
    def slow_to_ack(ack: Ack) -> None:
        after_ack.submit(lambda: happened.append("work"))
        time.sleep(0.5)
        happened.append("ack")
        ack()

    connection = SlackSocket(app=app, app_token=settings.socket_mode_token(), after_ack=after_ack)
    connection.connect()
    try:
        socket_standin.ack(
            socket_standin.command("help", user_id=MANAGER, response_url="https://x/")
        )
        deadline = time.monotonic() + 10
        while len(happened) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        connection.close()
    assert happened == ["ack", "work"]
