"""Requests from the internet are bounded before any work: a real ``credbot serve`` process
refuses bodies that are too large (413) or unsigned (401) before reading or parsing them,
refuses signed bodies it cannot read with 400 (never 500), and drops clients that send
headers or bodies too slowly. The process's memory is read from ``/proc`` around the
large bodies."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.dev.slack_requests import FORM, JSON, command_body, signed_headers
from bot.dev.slack_standin import SlackStandIn
from bot.web.kyc_webhook import sign
from tests.support.openbao import OpenBaoServer
from tests.support.raw_http import MIB, chunked, closed_soon, exchange, head, read_answer, repeated
from tests.support.serve import WEBHOOK_SECRET, Served, serve_env, start_serve
from tests.support.slack import MANAGER, SECRET

READ_TIMEOUT_S = 2
MEMORY_BUDGET_MIB = 16
"""What one refused request may add to the process's peak memory."""


@pytest.fixture(scope="module")
def served(
    openbao: OpenBaoServer, vault_initialized: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    standin = SlackStandIn().start()
    env = serve_env(openbao, standin, tmp_path_factory.mktemp("serve"))
    server = start_serve({**env, "CREDBOT_READ_TIMEOUT": f"{READ_TIMEOUT_S}s"})
    try:
        yield server
    finally:
        output = server.stop()
        standin.stop()
        assert "Traceback" not in output, output
        assert SECRET not in output and WEBHOOK_SECRET not in output


def _slack_head(length: int | None = None, **headers: str) -> bytes:
    sized = {"Content-Length": str(length)} if length is not None else {}
    return head("/slack/events", {"Content-Type": FORM, **sized, **headers})


def _webhook_head(length: int | None = None, **headers: str) -> bytes:
    sized = {"Content-Length": str(length)} if length is not None else {}
    return head("/kyc/webhook", {"Content-Type": JSON, **sized, **headers})


def _report(served: Served, what: str, before: float) -> float:
    grown = served.peak_rss_mib() - before
    print(
        f"\n{what}: peak RSS {before:.0f} -> {served.peak_rss_mib():.0f} MiB (+{grown:.1f}),"
        f" RSS now {served.rss_mib():.0f} MiB"
    )
    return grown


@pytest.mark.parametrize("path", ["/slack/events", "/kyc/webhook"])
def test_a_300_mib_body_is_refused_from_its_length_before_it_is_read(
    served: Served, path: str
) -> None:
    before = served.peak_rss_mib()
    size = 300 * MIB
    request = head(path, {"Content-Type": JSON, "Content-Length": str(size)})
    answer = exchange(served.port, request, repeated(b"x" * MIB, size))
    grown = _report(served, f"300 MiB declared to {path}", before)
    assert answer.status == 413
    assert answer.closed
    assert grown < MEMORY_BUDGET_MIB


@pytest.mark.parametrize("path", ["/slack/events", "/kyc/webhook"])
def test_a_300_mib_chunked_body_is_cut_off_at_the_limit(served: Served, path: str) -> None:
    before = served.peak_rss_mib()
    request = head(path, {"Content-Type": JSON, "Transfer-Encoding": "chunked"})
    answer = exchange(served.port, request, chunked(repeated(b"x" * 65536, 300 * MIB)))
    grown = _report(served, f"300 MiB chunked to {path}", before)
    assert answer.status == 413
    assert answer.closed
    assert grown < MEMORY_BUDGET_MIB


def test_a_20_mib_array_of_objects_costs_nothing(served: Served) -> None:
    """The body that once added 520 MiB and got a 500: refused on its size, unparsed."""
    before = served.peak_rss_mib()
    body = b"[" + b"{}," * (20 * MIB // 3) + b"{}]"
    answer = exchange(served.port, _slack_head(len(body), **{"Content-Type": JSON}), [body])
    grown = _report(served, "20 MiB of [{},{},...]", before)
    assert answer.status == 413
    assert grown < MEMORY_BUDGET_MIB


def test_an_unsigned_body_under_the_limit_is_refused_before_it_is_parsed(
    served: Served,
) -> None:
    before = served.peak_rss_mib()
    body = b"[" + b"{}," * (MIB // 4) + b"{}]"
    reply = httpx.post(
        f"{served.url}/slack/events", content=body, headers={"Content-Type": JSON}, timeout=30
    )
    grown = _report(served, "0.75 MiB of [{},{},...], unsigned", before)
    assert reply.status_code == 401
    assert grown < MEMORY_BUDGET_MIB


NESTED = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
NOT_UTF8 = b"\xff\xfe" + "token=x&text=caf\xe9".encode("latin-1")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (NESTED, JSON),
        (NOT_UTF8, FORM),
        (b"[{}, {}]", JSON),
        (b'{"type": "event_callback"', JSON),
        (b"payload=%7B%22type%22%3A", FORM),
    ],
    ids=["deeply-nested", "not-utf8", "not-an-object", "truncated-json", "bad-payload"],
)
def test_a_body_that_cannot_be_read_is_401_unsigned_and_400_signed(
    served: Served, body: bytes, content_type: str
) -> None:
    url = f"{served.url}/slack/events"
    unsigned = httpx.post(url, content=body, headers={"Content-Type": content_type}, timeout=10)
    assert unsigned.status_code == 401
    signed = httpx.post(
        url, content=body, headers=signed_headers(SECRET, body, content_type=content_type)
    )
    assert signed.status_code == 400
    assert signed.json() == {"error": "unreadable request body"}


def test_a_signed_request_within_the_limits_still_works(served: Served) -> None:
    body = command_body("help", user_id=MANAGER, response_url="http://127.0.0.1:9/respond")
    reply = httpx.post(
        f"{served.url}/slack/events",
        content=body,
        headers=signed_headers(SECRET, body, content_type=FORM),
        timeout=10,
    )
    assert reply.status_code == 200
    assert "/contractor onboard" in reply.text


@pytest.mark.parametrize(
    "body",
    [
        b'{"reference": "kyc_' + b"0" * 32 + b'", "n": ' + b"9" * 5000 + b"}",
        b'{"a":' * 2500 + b"1" + b"}" * 2500,
        b"\xff" * 100,
    ],
    ids=["5000-digit-integer", "deeply-nested", "not-utf8"],
)
def test_an_unreadable_signed_webhook_body_is_400(served: Served, body: bytes) -> None:
    ts = str(int(time.time()))
    reply = httpx.post(
        f"{served.url}/kyc/webhook",
        content=body,
        headers={
            "Content-Type": JSON,
            "X-Credbot-Timestamp": ts,
            "X-Credbot-Signature": sign(WEBHOOK_SECRET, timestamp=ts, body=body),
        },
        timeout=10,
    )
    assert reply.status_code == 400
    assert reply.json()["ok"] is False


def test_a_head_still_incomplete_at_16_kib_is_400(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: credbot.test\r\nX-Padding: " + b"a" * 17_000)
        answer = read_answer(sock)
    assert answer.status == 400
    assert answer.closed


def _until_open_connections(
    served: Served, socks: list[socket.socket], count: int, *, within: float
) -> int:
    """Wait (polling every 0.05 s) until the process holds ``count`` connections with
    ``socks``, or the time is up; return the last count, for the caller to assert."""
    deadline = time.monotonic() + within
    while (held := _open_with(served, socks)) != count and time.monotonic() < deadline:
        time.sleep(0.05)
    return held


def _open_with(served: Served, socks: list[socket.socket]) -> int:
    return served.open_connections(client_ports=[sock.getsockname()[1] for sock in socks])


def test_fifty_half_sent_request_heads_are_dropped(served: Served) -> None:
    socks = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(50)]
    try:
        for sock in socks:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: credbot.test\r\nX-Slow: ")
        assert _until_open_connections(served, socks, 50, within=5) == 50
        started = time.monotonic()
        assert all(closed_soon(sock, within=READ_TIMEOUT_S + 3) for sock in socks)
        assert time.monotonic() - started < READ_TIMEOUT_S + 3
        assert _open_with(served, socks) == 0
    finally:
        for sock in socks:
            sock.close()


def test_a_head_dribbled_one_byte_at_a_time_is_dropped(served: Served) -> None:
    """Each byte arrives before any idle timer would fire; the head still has a deadline."""
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        started = time.monotonic()
        with pytest.raises(OSError):
            for byte in _slack_head(10):
                sock.sendall(bytes([byte]))
                time.sleep(0.25)
            pytest.fail("the whole head went through")  # pragma: no cover
        assert time.monotonic() - started < READ_TIMEOUT_S + 2


@pytest.mark.parametrize(
    ("request_head", "error"),
    [
        (_slack_head(1000), "request body not received in time"),
        (_webhook_head(1000), "request body not received in time"),
        (head("/enroll/reveal", {"Content-Type": JSON, "Content-Length": "1000"}), "too_slow"),
    ],
    ids=["slack", "kyc-webhook", "enroll"],
)
def test_a_body_that_stops_half_way_gets_408_and_the_connection_closes(
    served: Served, request_head: bytes, error: str
) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(request_head + b"x" * 100)
        started = time.monotonic()
        answer = read_answer(sock)
        waited = time.monotonic() - started
    assert answer.status == 408
    assert json.loads(answer.body)["error"] == error
    assert answer.closed
    assert READ_TIMEOUT_S - 0.5 < waited < READ_TIMEOUT_S + 2


def test_a_body_nobody_reads_does_not_hold_the_connection(served: Served) -> None:
    """An answer sent before the body arrived (here: 405) closes the connection, so the
    rest of the body cannot trickle in forever."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(head("/healthz", {"Content-Length": "100000"}) + b"x" * 10)
        answer = read_answer(sock)
    assert answer.status == 405
    assert answer.headers["connection"] == "close"
    assert answer.closed
