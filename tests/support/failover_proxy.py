"""A tiny TCP proxy that stands where a load balancer (or a DNS name with one address per node)
stands in front of a Vault cluster: ``VAULT_ADDR`` holds one address, the cluster has three.

Each new connection goes to the next node in turn that accepts it; a node that refuses (its
process is dead) is skipped. Bytes are copied both ways unchanged, so every node sees the
bot's real requests: standbys forward them to the active node. When a node dies, the
connections through it close and the client sees exactly what it would see behind a real
load balancer: a reset connection for a request in flight, a fresh connection to a live node
for the next one. Whether a node is active is not checked: which node answers is Vault's
business, and that standbys forward is part of what the failover test proves.

In front of one node, ``drop`` makes it a Vault behind a flaky network: the connections open
now and the next few are reset (RST, before a byte reaches Vault), as when a load balancer
restarts; the transport tests use it to show which calls credbot retries. ``hold_after`` stops
the traffic right after a given request reached Vault, so a test can catch a client between
two of its calls however fast it runs.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Sequence
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
    accepted: int = 0
    """Connections clients opened (one per attempt of theirs), dropped ones included."""
    _listener: socket.socket | None = field(default=None, repr=False)
    _turn: int = 0
    _to_drop: int | None = 0
    _open: list[socket.socket] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _hold_after: bytes | None = None
    _flowing: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self) -> None:
        self._flowing.set()

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

    def drop(self, count: int | None) -> None:
        """Reset the clients' connections open now, and the next ``count`` new ones (every
        one with ``None``; ``0`` forwards again), so a client's next request finds none."""
        with self._lock:
            self._to_drop = count
            for client in self._open:
                _reset(client)
            self._open.clear()

    def hold_after(self, marker: bytes) -> None:
        """Forward the first piece of a request that holds ``marker`` (e.g. ``b"DELETE "``),
        then no byte more either way (that request's answer included) until ``release``."""
        with self._lock:
            self._hold_after = marker

    def release(self) -> None:
        """Forward again what ``hold_after`` held, and everything after it."""
        with self._lock:
            self._hold_after = None
        self._flowing.set()

    def _sent_upstream(self, data: bytes) -> None:
        with self._lock:
            if self._hold_after is not None and self._hold_after in data:
                self._flowing.clear()

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
        with self._lock:
            self.accepted += 1
            dropping = self._to_drop is None or self._to_drop > 0
            if self._to_drop:
                self._to_drop -= 1
        if dropping:
            _reset(client)
            return
        upstream = self._connect()
        if upstream is None:
            client.close()
            return
        with self._lock:
            self._open.append(client)
        back = threading.Thread(target=self._copy, args=(upstream, client), daemon=True)
        back.start()
        self._copy(client, upstream, sent=self._sent_upstream)
        back.join()
        with self._lock:
            if client in self._open:
                self._open.remove(client)
        client.close()
        upstream.close()

    def _copy(
        self,
        source: socket.socket,
        target: socket.socket,
        sent: Callable[[bytes], None] = lambda data: None,
    ) -> None:
        """Copy until ``source`` ends, then end ``target``'s side too; a reset ends both ways
        (``shutdown`` also wakes the thread copying the other way). Nothing is copied while
        a hold is on; ``sent`` sees each piece after it went."""
        source.settimeout(None)
        try:
            while data := source.recv(CHUNK):
                self._flowing.wait()
                target.sendall(data)
                sent(data)
            target.shutdown(socket.SHUT_WR)
        except OSError:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

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


def _reset(sock: socket.socket) -> None:
    """Close with a reset (linger 0), as a crashed server or a restarting balancer does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
