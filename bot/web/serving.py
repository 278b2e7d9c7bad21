"""Running the ASGI app with uvicorn, with deadlines for clients that send slowly.

uvicorn closes a kept-alive connection that stays silent for ``timeout_keep_alive`` seconds,
but nothing limits how long a client may take to send a request's head: 50 connections that
each sent half a request line stayed open for as long as the clients liked. The h11 protocol
here gives each request head ``head_timeout_s`` from the moment the connection opens, or the
previous answer ends, and closes the connection when it is not complete by then. (h11 already
caps a head at 16 KiB: ``h11_max_incomplete_event_size``.) Bodies get their own deadline where
they are read (``bot.web.bodies``).

``serve`` serves one listening socket, or two (the public port and ``CREDBOT_OPS_PORT``): one
uvicorn server, one event loop and one lifespan for both, and the app
(``bot.web.app.build_web_app``) tells them apart by the port each connection came in on.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import sys
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.h11_impl import H11Protocol

KEEP_ALIVE_S = 5
"""uvicorn's default: an idle kept-alive connection is closed after this long."""


def bounded_h11(head_timeout_s: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, giving every request head ``head_timeout_s`` to arrive."""

    class BoundedH11Protocol(H11Protocol):
        _head_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_head()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the head is complete
                self._cancel_head_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._await_head()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_deadline()
            super().connection_lost(exc)

        def _await_head(self) -> None:
            self._cancel_head_deadline()
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self._head_deadline = self.loop.call_later(head_timeout_s, self._head_too_slow)

        def _cancel_head_deadline(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def _head_too_slow(self) -> None:
            self._head_deadline = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.logger.info("closed a connection whose request head was too slow")
                self.transport.close()

    return BoundedH11Protocol


def server_config(
    app: ASGIApp, *, host: str, port: int, read_timeout_s: float, **options: Any
) -> uvicorn.Config:
    """uvicorn's configuration for credbot: the bounded h11 protocol, no ``Server`` header;
    ``options`` are more of ``uvicorn.Config``'s arguments."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=bounded_h11(read_timeout_s),
        timeout_keep_alive=KEEP_ALIVE_S,
        server_header=False,
        **options,
    )


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` is an IPv6 address), with
    ``TCP_NODELAY``, which the connections it accepts inherit.

    asyncio turns Nagle's algorithm off only for sockets whose ``proto`` is ``IPPROTO_TCP``;
    ``socket.create_server`` makes them with ``proto`` 0, so without this every response after
    the first on a kept-alive connection (uvicorn writes head and body separately) waited for
    the client's delayed ACK: about 40 ms per request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=2048)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def serve(config: uvicorn.Config, sockets: list[socket.socket]) -> None:
    """Serve ``config``'s app on each of ``sockets`` (from ``listen``) until SIGINT or
    SIGTERM; exit like ``uvicorn.run`` when the app's start-up fails.

    Everything built so far (modules, the app, its clients and tables) lives as long as the
    process, so it is frozen out of the garbage collector's reach first: a full collection
    otherwise walks all of it, and one such pause measured 159 ms in the middle of a burst of
    Slack acks."""
    gc.freeze()
    server = uvicorn.Server(config)
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    finally:
        for sock in sockets:
            sock.close()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
