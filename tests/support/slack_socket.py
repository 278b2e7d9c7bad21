"""A local stand-in of Slack's Socket Mode WebSocket server, and the app served over it.

Slack's side of Socket Mode, as documented: the app calls ``apps.connections.open`` (the Web
API stand-in, ``bot.dev.slack_standin``, which asks this server for a URL with a one-time
ticket), opens the WebSocket, and receives ``{"type": "hello", ...}``. Slack then sends
envelopes ``{"envelope_id", "type": "slash_commands" | "interactive" | "events_api",
"payload", "accepts_response_payload"}`` (events add ``retry_attempt`` and
``retry_reason``) and the app acknowledges each with ``{"envelope_id", "payload"?}``. A
``{"type": "disconnect"}`` asks the app to reconnect with a new URL.

The server is the ``websockets`` library's (a WebSocket implementation independent of the
SDK client under test); acks are recorded with the time they arrived.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from bot.config import Settings, load_settings
from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.interfaces import Leases, VaultBackend
from bot.core.stores import Store
from bot.dev.slack_requests import command_fields, event_callback
from bot.dev.slack_standin import STANDIN_APP_TOKEN, SlackStandIn
from bot.slack.socket_mode import SlackSocket
from tests.support.slack import slack_env, world_core

APP_ID = "A0CREDBOT"


@dataclass(frozen=True)
class Ack:
    """What the app sent back for one envelope, and how long after the envelope it came."""

    envelope_id: str
    payload: dict[str, Any] | None
    after_s: float


@dataclass
class SocketModeStandIn:
    """The WebSocket server: ``start()``, attach ``issue_url`` to the Web API stand-in's
    ``socket_urls``, send envelopes, read acks, ``stop()``."""

    host: str = "127.0.0.1"
    _server: Server | None = None
    _tickets: set[str] = field(default_factory=set)
    _open: list[ServerConnection] = field(default_factory=list)
    _sent: dict[str, float] = field(default_factory=dict)
    _acks: dict[str, Ack] = field(default_factory=dict)
    _opened_count: int = 0
    _closed_count: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)

    # --- life cycle

    def start(self) -> Self:
        self._server = serve(
            self._connection,
            self.host,
            0,
            process_request=self._check_ticket,
            compression=None,
        )
        threading.Thread(
            target=self._server.serve_forever, name="socket-mode-standin", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def issue_url(self) -> str:
        """A URL with a fresh one-time ticket, as ``apps.connections.open`` returns."""
        assert self._server is not None, "start() the stand-in first"
        ticket = secrets.token_hex(8)
        with self._changed:
            self._tickets.add(ticket)
        port = self._server.socket.getsockname()[1]
        return f"ws://{self.host}:{port}/link/?ticket={ticket}&app_id={APP_ID}"

    # --- what Slack sends

    def send(self, kind: str, payload: dict[str, Any], **extra: Any) -> str:
        """Send an envelope of ``kind`` on the newest connection; return its ``envelope_id``."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            **extra,
        }
        connection = self.wait_connected()
        with self._changed:
            self._sent[envelope_id] = time.monotonic()
        connection.send(json.dumps(envelope))
        return envelope_id

    def command(self, text: str, *, user_id: str, response_url: str) -> str:
        """``/contractor text`` typed by ``user_id``."""
        fields = command_fields(text, user_id=user_id, response_url=response_url)
        return self.send("slash_commands", fields)

    def interact(self, payload: dict[str, Any]) -> str:
        """A click or a modal submission."""
        return self.send("interactive", payload)

    def event(self, event: dict[str, Any], *, event_id: str, retry_attempt: int = 0) -> str:
        """An Events API event; Slack's retries repeat the ``event_id``."""
        return self.send(
            "events_api",
            event_callback(event, event_id=event_id),
            retry_attempt=retry_attempt,
            retry_reason="timeout" if retry_attempt else "",
        )

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to reconnect, as Slack does before it recycles a connection."""
        self.wait_connected().send(
            json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "standin"}})
        )

    # --- what the app did

    def ack(self, envelope_id: str, *, timeout: float = 10.0) -> Ack:
        """Wait for the app's ack of ``envelope_id``."""
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self._acks, timeout=timeout):
                raise TimeoutError(f"no ack for envelope {envelope_id}")
            return self._acks[envelope_id]

    def wait_connected(self, *, opened: int = 1, timeout: float = 10.0) -> ServerConnection:
        """The newest open connection, once at least ``opened`` were opened in all."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: self._opened_count >= opened and self._open, timeout=timeout
            ):
                raise TimeoutError(f"fewer than {opened} Socket Mode connection(s) opened")
            return self._open[-1]

    @property
    def opened(self) -> int:
        """How many connections the app opened in all."""
        return self._opened_count

    def wait_closed(self, *, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until the app closed ``count`` connections in all."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._closed_count >= count, timeout=timeout):
                raise TimeoutError(f"the app closed fewer than {count} connection(s)")

    # --- the server

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = request.path.partition("ticket=")[2].partition("&")[0]
        with self._changed:
            if ticket in self._tickets:
                self._tickets.discard(ticket)  # one connection per ticket
                return None
        return connection.respond(401, "unknown or used ticket\n")

    def _connection(self, connection: ServerConnection) -> None:
        with self._changed:
            self._open.append(connection)
            self._opened_count += 1
            count = len(self._open)
            self._changed.notify_all()
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": "standin", "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }
        try:
            connection.send(json.dumps(hello))
            for message in connection:
                self._record(json.loads(message))
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                self._open.remove(connection)
                self._closed_count += 1
                self._changed.notify_all()

    def _record(self, message: dict[str, Any]) -> None:
        envelope_id = str(message.get("envelope_id", ""))
        with self._changed:
            sent = self._sent.get(envelope_id)
            if sent is None:
                raise AssertionError(f"ack of an envelope never sent: {message}")
            self._acks[envelope_id] = Ack(
                envelope_id=envelope_id,
                payload=message.get("payload"),
                after_s=time.monotonic() - sent,
            )
            self._changed.notify_all()


@dataclass
class SocketWorld:
    """The app served over Socket Mode, with both stand-ins and the real core."""

    core: Core
    clock: FrozenClock
    standin: SlackStandIn
    slack: SocketModeStandIn
    connection: SlackSocket


def socket_settings(standin: SlackStandIn) -> Settings:
    """The scenario tests' settings with an app-level token and without a signing secret
    (nothing is signed in Socket Mode)."""
    env = {k: v for k, v in slack_env(standin).items() if k != "SLACK_SIGNING_SECRET"}
    return load_settings({**env, "SLACK_APP_TOKEN": STANDIN_APP_TOKEN})


@pytest.fixture
def socket_standin(standin: SlackStandIn) -> Iterator[SocketModeStandIn]:
    """The Socket Mode server, handed out by the Web API stand-in's ``apps.connections.open``."""
    server = SocketModeStandIn().start()
    standin.socket_urls = server.issue_url
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def socket_world(
    store: Store,
    vault_accounts: VaultBackend,
    standin: SlackStandIn,
    socket_standin: SocketModeStandIn,
    leases: Leases,
) -> Iterator[SocketWorld]:
    """``SocketWorld`` connected (``credbot serve --socket-mode``'s wiring on test backends)."""
    settings = socket_settings(standin)
    core, clock, app, deps = world_core(store, vault_accounts, standin, settings, leases=leases)
    connection = SlackSocket(
        app=app,
        app_token=settings.socket_mode_token(),
        after_ack=deps.after_ack,
        ping_interval=2,
    )
    connection.connect()
    try:
        yield SocketWorld(
            core=core, clock=clock, standin=standin, slack=socket_standin, connection=connection
        )
    finally:
        connection.close()
