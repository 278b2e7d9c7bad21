"""Ports for the servers a test starts by number (``credbot serve --port``, PostgreSQL, a Raft
node) and for URLs where nothing may listen.

``bot.dev.openbao.free_port`` asks the kernel for a free port and lets it go, so two xdist
workers asking at about the same time can be handed the same one, and a client socket of any
process can take it before the server binds it. Stop 18's and stop 19's CI runs each lost a
test to that. Here each worker hands out ports from a block of its own, below the kernel's
ephemeral range (which port-0 binds and outgoing connections draw from), one after another:
no other worker of the run, and no client socket, is ever handed one of them."""

from __future__ import annotations

import itertools
import os
import socket
from pathlib import Path

FIRST_PORT = 20_000
BLOCK = 1_000
"""Ports per worker: enough that a worker never wraps around during a run."""
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _worker_block() -> range:
    """This worker's ports: block N for xdist worker ``gwN`` (block 0 without xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    start = FIRST_PORT + int(worker) * BLOCK
    ephemeral_low = int(EPHEMERAL_RANGE.read_text().split()[0])
    if start + BLOCK > ephemeral_low:
        raise RuntimeError(
            f"worker gw{worker}'s ports {start}-{start + BLOCK - 1} reach the ephemeral range"
            f" (from {ephemeral_low}): run fewer workers"
        )
    return range(start, start + BLOCK)


_candidates = itertools.cycle(_worker_block())


def free_port() -> int:
    """The next port of this worker's block that nothing holds right now (a process outside
    the test run may; such a port is skipped)."""
    for _ in range(BLOCK):
        port = next(_candidates)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("every port of this test worker's block is taken")
