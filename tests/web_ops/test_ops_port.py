"""``credbot serve --ops-port`` (or ``CREDBOT_OPS_PORT``): ``/healthz`` and ``/metrics`` only
on their own listener, so only the enrollment pages and the Slack and webhook routes face the
internet. Run as a real ``credbot serve`` process."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from bot.dev.slack_requests import FORM, command_body, signed_headers
from bot.dev.slack_standin import SlackStandIn
from tests.support.cli import run
from tests.support.openbao import OpenBaoServer
from tests.support.ports import free_port
from tests.support.serve import serve_env, start_serve
from tests.support.slack import MANAGER, SECRET


@pytest.fixture(scope="module")
def env(
    openbao: OpenBaoServer, vault_initialized: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    standin = SlackStandIn().start()
    try:
        yield serve_env(openbao, standin, tmp_path_factory.mktemp("ops"))
    finally:
        standin.stop()


def _status(method: str, url: str) -> int:
    return httpx.request(method, url, timeout=10).status_code


def _help(base: str) -> httpx.Response:
    body = command_body("help", user_id=MANAGER, response_url="http://127.0.0.1:9/respond")
    headers = signed_headers(SECRET, body, content_type=FORM)
    return httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=10)


def test_operations_move_to_their_own_port(env: dict[str, str]) -> None:
    served = start_serve(env, ops_port=free_port())
    try:
        public, ops = served.url, served.ops_url
        health = httpx.get(f"{ops}/healthz", timeout=10)
        assert (health.status_code, health.json()) == (200, {"database": "ok", "vault": "ok"})
        assert 'credbot_contractors{state="active"}' in httpx.get(f"{ops}/metrics").text
        assert _status("GET", f"{public}/healthz") == 404
        assert _status("GET", f"{public}/metrics") == 404
        assert _status("GET", f"{public}/enroll") == 200
        assert _help(public).status_code == 200
        assert _status("GET", f"{ops}/enroll") == 404
        assert _help(ops).status_code == 404
        assert _status("POST", f"{ops}/kyc/webhook") == 404
        # the security headers on both listeners
        assert httpx.get(f"{ops}/healthz").headers["cache-control"] == "no-store"
        assert httpx.get(f"{public}/healthz").headers["x-frame-options"] == "DENY"
    finally:
        served.stop()


def test_the_setting_does_the_same(env: dict[str, str]) -> None:
    served = start_serve({**env, "CREDBOT_OPS_PORT": str(free_port())})
    try:
        assert _status("GET", f"{served.ops_url}/healthz") == 200
        assert _status("GET", f"{served.url}/healthz") == 404
    finally:
        served.stop()


def test_the_ops_port_must_differ_from_the_port() -> None:
    result = run({}, "serve", "--port", "8081", "--ops-port", "8081")
    assert result.exit_code == 2
    assert "--ops-port" in result.output and "must differ from --port" in result.output


def test_a_bad_ops_port_setting_is_named() -> None:
    result = run({"CREDBOT_OPS_PORT": "70000"}, "serve")
    assert result.exit_code == 3
    assert "CREDBOT_OPS_PORT" in result.output


def test_a_port_in_use_is_named_with_exit_4(env: dict[str, str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run(env, "serve", "--port", str(free_port()), "--ops-port", str(port))
    assert result.exit_code == 4, result.output
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
