"""``credbot serve --socket-mode``: refuses to start without a usable app-level token (and
says which variable), exits instead of spinning when Slack refuses it, and otherwise serves
Slack over the socket and the web pages over HTTP until SIGTERM."""

from __future__ import annotations

import signal
import time

import pytest

from bot.dev.slack_standin import STANDIN_APP_TOKEN, SlackStandIn
from tests.support.cli import credbot_process, get, run, wait_for_http
from tests.support.ports import free_port
from tests.support.slack import MANAGER, slack_env
from tests.support.slack_socket import SocketModeStandIn


def socket_env(bot_env: dict[str, str], standin: SlackStandIn, **extra: str) -> dict[str, str]:
    env = {**bot_env, **slack_env(standin), "SLACK_APP_TOKEN": STANDIN_APP_TOKEN, **extra}
    del env["SLACK_SIGNING_SECRET"]
    return env


def test_a_missing_app_token_is_named_and_nothing_is_contacted(
    bot_env: dict[str, str], standin: SlackStandIn
) -> None:
    env = socket_env(bot_env, standin)
    del env["SLACK_APP_TOKEN"]
    result = run(env, "serve", "--socket-mode")
    assert result.exit_code == 3, result.output
    assert "SLACK_APP_TOKEN: required for Socket Mode" in result.output
    assert standin.calls() == []


def test_a_malformed_app_token_is_refused_without_being_repeated(
    bot_env: dict[str, str], standin: SlackStandIn
) -> None:
    bot_token_by_mistake = "xoxb-1234-5678-not-an-app-token"
    result = run(
        socket_env(bot_env, standin, SLACK_APP_TOKEN=bot_token_by_mistake),
        "serve",
        "--socket-mode",
    )
    assert result.exit_code == 3, result.output
    assert "SLACK_APP_TOKEN: must be an app-level token (xapp-" in result.output
    assert bot_token_by_mistake not in result.output
    assert standin.calls() == []


def test_a_token_slack_refuses_stops_the_command_at_once(
    bot_env: dict[str, str], standin: SlackStandIn, socket_standin: SocketModeStandIn
) -> None:
    revoked = "xapp-1-A0CREDBOT-revoked-token"
    started = time.monotonic()
    result = run(socket_env(bot_env, standin, SLACK_APP_TOKEN=revoked), "serve", "--socket-mode")
    assert result.exit_code == 3, result.output
    assert "Slack refused SLACK_APP_TOKEN (apps.connections.open: invalid_auth)" in result.output
    assert revoked not in result.output
    assert time.monotonic() - started < 20
    assert len(standin.calls("apps.connections.open")) == 1
    assert socket_standin.opened == 0


def test_slack_out_of_reach_is_exit_4(bot_env: dict[str, str], standin: SlackStandIn) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/api/"
    result = run(socket_env(bot_env, standin, SLACK_API_URL=nowhere), "serve", "--socket-mode")
    assert result.exit_code == 4, result.output
    assert "Slack's Web API could not be reached" in result.output


def test_serve_takes_slack_over_the_socket_and_pages_over_http_until_sigterm(
    bot_env: dict[str, str], standin: SlackStandIn, socket_standin: SocketModeStandIn
) -> None:
    port = free_port()
    env = socket_env(bot_env, standin)
    with credbot_process(env, "serve", "--socket-mode", "--port", str(port)) as served:
        socket_standin.wait_connected(timeout=30)
        base = f"http://127.0.0.1:{port}"
        assert wait_for_http(f"{base}/healthz") == 200
        assert get(f"{base}/slack/events") == 404  # off in Socket Mode
        ack = socket_standin.ack(
            socket_standin.command("help", user_id=MANAGER, response_url=standin.response_url())
        )
        assert ack.payload is not None and "/contractor onboard" in ack.payload["text"]
    socket_standin.wait_closed()
    output = served.output
    assert served.process.returncode == -signal.SIGTERM, output  # uvicorn re-raises it
    assert "Socket Mode closed" in output
    assert STANDIN_APP_TOKEN not in output


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        ("CREDBOT_ALLOWED_COUNTRIES", "CREDBOT_ALLOWED_COUNTRIES is empty"),
        ("CREDBOT_ALLOWED_EMAIL_DOMAINS", "CREDBOT_ALLOWED_EMAIL_DOMAINS is empty"),
    ],
)
def test_identity_checks_without_their_settings_stop_serve_with_exit_3(
    bot_env: dict[str, str], standin: SlackStandIn, unset: str, named: str
) -> None:
    env = socket_env(bot_env, standin)
    del env[unset]
    result = run(env, "serve", "--socket-mode")
    assert result.exit_code == 3, result.output
    assert named in result.output
    assert standin.calls("apps.connections.open") == []


def test_a_set_of_checks_without_kyc_stops_serve_with_exit_3(
    bot_env: dict[str, str], standin: SlackStandIn
) -> None:
    env = socket_env(bot_env, standin, CREDBOT_IDENTITY_CHECKS="requester_role,work_country")
    result = run(env, "serve", "--socket-mode")
    assert result.exit_code == 3, result.output
    assert "include one of kyc_attestation, kyc_webhook" in result.output
