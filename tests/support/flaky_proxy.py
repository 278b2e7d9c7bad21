"""A TCP proxy in front of a real Vault that drops connections on demand: what a Vault behind a
restarting load balancer, or one coming back up, looks like to credbot.

Every connection the proxy drops is closed at once with a reset, before a byte reaches Vault,
so a request on it gets "connection reset" or "connection aborted", exactly as when nothing
answers; every other connection is forwarded to the real server, both ways, as it comes.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from bot.dev.openbao import free_port


class FlakyProxy:
    """Listens on a free loopback port and forwards to ``upstream_port``; ``drop(n)`` resets
    the connections open now and the next ``n`` new ones (``n=None``: all of them)."""

    def __init__(self, upstream_port: int) -> None:
        self.port = free_port()
        self.upstream_port = upstream_port
        self.accepted = 0
        """Connections accepted so far (dropped or forwarded): one per attempt of a client."""
        self._to_drop: int | None = 0
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._thread = threading.Thread(target=self._serve, name="flaky-proxy", daemon=True)
        self._thread.start()

    @property
    def addr(self) -> str:
        """The proxy's address, as ``VAULT_ADDR`` takes it."""
        return f"http://127.0.0.1:{self.port}"

    def drop(self, count: int | None) -> None:
        """Reset every connection open now, and the next ``count`` new ones (all with
        ``None``), so that a client's next request finds no live connection."""
        with self._lock:
            self._to_drop = count
            for sock in self._open:
                _reset(sock)
            self._open.clear()

    def close(self) -> None:
        """Stop listening and reset what is open."""
        self.drop(0)
        self._server.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                dropping = self._to_drop is None or self._to_drop > 0
                if self._to_drop:
                    self._to_drop -= 1
            if dropping:
                _reset(client)
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self._open += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    for sock in (source, target):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _reset(sock: socket.socket) -> None:
    """Close with RST (linger 0), as a crashed server or a load balancer does."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@contextmanager
def flaky_proxy(upstream_port: int) -> Iterator[FlakyProxy]:
    """A ``FlakyProxy`` for the block."""
    proxy = FlakyProxy(upstream_port)
    try:
        yield proxy
    finally:
        proxy.close()
