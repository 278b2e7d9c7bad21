"""Serve an ASGI app with uvicorn in a background thread on a free loopback port (demo,
tests, benchmarks): the real server, configured as ``credbot serve`` configures it
(``bot.web.serving``), not a test client."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from bot.web.bodies import DEFAULT_READ_TIMEOUT_S
from bot.web.serving import listen, server_config

START_TIMEOUT_S = 15.0


@dataclass
class BackgroundServer:
    """``start()`` serves ``app`` at ``url`` until ``stop()``. ``port`` 0 (the default): one
    the kernel picks as the socket is bound, so two servers (parallel test workers) are never
    handed the same one, as they can be by a port found free a moment before."""

    app: ASGIApp
    host: str = "127.0.0.1"
    port: int = 0
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _socket: socket.socket | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        """Start uvicorn and wait until it accepts connections."""
        self._socket = listen(self.host, self.port)
        self.port = self._socket.getsockname()[1]
        config = server_config(
            self.app,
            host=self.host,
            port=self.port,
            read_timeout_s=self.read_timeout_s,
            # leave the process's logging alone: uvicorn's own set-up would reconfigure the
            # global ``uvicorn.*`` loggers for everything else in this process
            log_config=None,
            log_level=None,
            lifespan="auto",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="uvicorn", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for it."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
