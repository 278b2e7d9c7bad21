"""Socket Mode: the same Bolt app, fed over a WebSocket instead of ``POST /slack/events``.

For workspaces without a public URL. ``apps.connections.open`` (with the app-level token,
``xapp-…``) returns a ``wss://`` URL; Slack sends ``hello``, then envelopes
(``slash_commands``, ``interactive``, ``events_api``) that the app acknowledges by sending
the envelope ID back. Bolt dispatches each envelope exactly as an HTTP request (the
listeners, roles, event deduplication and the work after the ack are the same); Slack
authenticates the connection, so there is no signature to check.

An envelope holds the work after earlier acks back (``AfterAck.acking``) from the moment Bolt
dispatches it until its ack is sent, as a signed request does at the HTTP door: Slack times
Socket Mode acks the same way (3 s).

Uses the SDK's built-in WebSocket client (no extra dependency). It reconnects by itself when
Slack asks (``disconnect``) or the connection goes stale. What it does not do is give up: a
token Slack refuses is only logged and retried, so ``connect()`` checks the first connection
itself and raises, and the process stops instead of spinning.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.after_ack import AfterAck

log = logging.getLogger("credbot.slack.socket_mode")

PING_INTERVAL_S = 10.0
"""How often the client pings Slack; four missed pongs make it reconnect."""


class SocketModeFailed(Exception):
    """The Socket Mode connection could not be opened. ``refused`` is Slack's error code when
    ``apps.connections.open`` said no (``invalid_auth``, ``not_allowed_token_type``, ...),
    ``None`` when Slack could not be reached or the WebSocket handshake failed."""

    def __init__(self, message: str, *, refused: str | None = None) -> None:
        super().__init__(message)
        self.refused = refused


class _AckingHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, holding ``after_ack`` while an envelope awaits its ack."""

    def __init__(self, app: App, *, after_ack: AfterAck, **options: Any) -> None:
        self._after_ack = after_ack
        super().__init__(app, **options)

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        with self._after_ack.acking():
            super().handle(client, req)


class SlackSocket:
    """One Socket Mode connection serving ``app``: ``connect()``, then ``close()``.

    It is also a ``bot.web.app.Background`` job, so the web server's shutdown (SIGTERM,
    Ctrl-C) closes it: ``start()`` connects unless ``connect()`` already did. ``credbot serve``
    connects first, so a refused token stops it with a clear message before anything is
    served; uvicorn would report a failing start as a traceback.
    """

    def __init__(
        self,
        *,
        app: App,
        app_token: str,
        after_ack: AfterAck,
        ping_interval: float = PING_INTERVAL_S,
    ) -> None:
        # The handler turns each envelope into a BoltRequest and the app's answer into the
        # ack; connecting and closing are its client's (typed) calls.
        self._client = _AckingHandler(
            app, after_ack=after_ack, app_token=app_token, logger=log, ping_interval=ping_interval
        ).client

    def connect(self) -> None:
        """Open the connection (``POST apps.connections.open``, then the WebSocket handshake)
        and return once Slack's WebSocket is open. Raises ``SocketModeFailed`` (after closing
        everything it started) when Slack refuses the token or cannot be reached."""
        try:
            self._client.connect()
        except SlackApiError as exc:
            self.close()
            error = str(exc.response.get("error") or "unknown_error")
            raise SocketModeFailed(
                f"Slack refused SLACK_APP_TOKEN (apps.connections.open: {error})", refused=error
            ) from None
        except OSError as exc:  # URLError included: Slack's Web API did not answer
            self.close()
            raise SocketModeFailed(
                f"Slack's Web API could not be reached ({type(exc).__name__})"
            ) from None
        if not self._client.is_connected():  # the SDK logs a failed handshake, no more
            self.close()
            raise SocketModeFailed("Slack's Socket Mode WebSocket could not be opened")
        log.info("Socket Mode connected")

    @property
    def connected(self) -> bool:
        """Whether the WebSocket is open now (it is replaced when Slack asks for it)."""
        return self._client.is_connected()

    def close(self) -> None:
        """Stop reconnecting, close the WebSocket and wait for envelopes being dispatched;
        work already handed over after an ack finishes on the app's own threads."""
        self._client.close()
        log.info("Socket Mode closed")

    def start(self) -> None:
        """``Background.start``: connect unless already connected."""
        if not self.connected:
            self.connect()

    def stop(self) -> None:
        """``Background.stop``: ``close()``."""
        self.close()
