"""A tiny TCP proxy that stands where a load balancer (or a DNS name with one address per node)
stands in front of a Vault cluster: ``VAULT_ADDR`` holds one address, the cluster has three.

Each new connection goes to the next node in turn that accepts it; a node that refuses (its
process is dead) is skipped. Bytes are copied both ways unchanged, so every node sees the
bot's real requests: standbys forward them to the active node. When a node dies, the
connections through it close and the client sees exactly what it would see behind a real
load balancer: a reset connection for a request in flight, a fresh connection to a live node
for the next one. Whether a node is active is not checked: which node answers is Vault's
business, and that standbys forward is part of what the failover test proves.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Self

CONNECT_TIMEOUT_S = 1.0
CHUNK = 65536


@dataclass
class FailoverProxy:
    """Listen on a free loopback port; ``upstreams`` are ``(host, port)`` of the nodes."""

    upstreams: Sequence[tuple[str, int]]
    refused: int = 0
    """Connections a dead node refused (each was sent to the next node instead)."""
    _listener: socket.socket | None = field(default=None, repr=False)
    _turn: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> Self:
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, name="vault-proxy", daemon=True).start()
        return self

    @property
    def addr(self) -> str:
        """What ``VAULT_ADDR`` holds."""
        assert self._listener is not None, "start() the proxy first"
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _accept(self) -> None:
        listener = self._listener
        assert listener is not None
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = self._connect()
        if upstream is None:
            client.close()
            return
        back = threading.Thread(target=_copy, args=(upstream, client), daemon=True)
        back.start()
        _copy(client, upstream)
        back.join()
        client.close()
        upstream.close()

    def _connect(self) -> socket.socket | None:
        """A connection to the next node that accepts one, or None when all refuse."""
        with self._lock:
            first = self._turn
            self._turn = (self._turn + 1) % len(self.upstreams)
        for step in range(len(self.upstreams)):
            host, port = self.upstreams[(first + step) % len(self.upstreams)]
            try:
                return socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
            except OSError:
                with self._lock:
                    self.refused += 1
        return None


def _copy(source: socket.socket, target: socket.socket) -> None:
    """Copy until ``source`` ends, then end ``target``'s side too; a reset ends both ways
    (``shutdown`` also wakes the thread copying the other way)."""
    source.settimeout(None)
    try:
        while data := source.recv(CHUNK):
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
