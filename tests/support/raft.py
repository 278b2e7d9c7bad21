"""A three-node OpenBao cluster on integrated storage (Raft), on loopback: real ``bao server``
processes, each with its own data directory, API and cluster port, for the failover test and
``bench.failover``.

Set-up, as an operator does it: ``bao operator init`` on the first node (Shamir, one share,
threshold one: enough for a test), unseal it, ``bao operator raft join`` the other two and
unseal them, then wait until ``sys/storage/raft/configuration`` shows three voters and a
leader. The unseal key goes over the API, never on a command line (``ps`` shows those); the
root token reaches the CLI through ``BAO_TOKEN``.

Two settings matter for credbot and are explained where they are written:
``performance_multiplier = 1`` (production timing: a new leader within about two seconds) and
``disable_standby_reads = true`` (standbys forward every request to the active node, which
credbot needs: it reads back what it just wrote).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import httpx
import hvac

from bot.dev.openbao import find_bao
from tests.support.ports import free_port
from vault.client import connect

READY_TIMEOUT_S = 60.0
NODES = 3


@dataclass
class RaftNode:
    """One ``bao server`` of the cluster."""

    name: str
    base_dir: Path
    api_port: int = field(default_factory=free_port)
    cluster_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def addr(self) -> str:
        """The node's own API address (its ``api_addr``)."""
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def config(self) -> str:
        """The node's HCL. ``performance_multiplier = 1`` is Raft's production timing (the
        default, 5, takes five times longer to notice a dead leader); the short autopilot
        intervals only make joined nodes voters sooner. ``disable_mlock`` is left out:
        OpenBao 2.7 no longer locks memory and warns that it does not know the field.
        ``disable_standby_reads`` is
        credbot's requirement: since OpenBao 2.5 a standby answers reads from its own copy,
        which lags the active node by tens of milliseconds, so a revocation's read-back
        there still shows the user it just deleted (measured: every time)."""
        data = self.base_dir / "data"
        return f"""
storage "raft" {{
  path = "{data}"
  node_id = "{self.name}"
  performance_multiplier = 1
  autopilot_reconcile_interval = "1s"
  autopilot_update_interval = "500ms"
}}
listener "tcp" {{
  address = "127.0.0.1:{self.api_port}"
  cluster_address = "127.0.0.1:{self.cluster_port}"
  tls_disable = true
}}
api_addr = "{self.addr}"
cluster_addr = "https://127.0.0.1:{self.cluster_port}"
disable_standby_reads = true
"""

    def start(self) -> None:
        """Start the server (sealed; the cluster unseals it). Its log is owner-only."""
        (self.base_dir / "data").mkdir(parents=True, exist_ok=True, mode=0o700)
        config = self.base_dir / "config.hcl"
        config.write_text(self.config())
        descriptor = os.open(self.base_dir / "bao.log", os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "ab") as log:
            self.process = subprocess.Popen(
                [find_bao(), "server", f"-config={config}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def kill(self) -> None:
        """SIGKILL: the machine is gone, nothing is flushed or handed over."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def leader_since(self, since: datetime) -> list[datetime]:
        """When this node's Raft became leader (its log's "entering leader state") after
        ``since``: the election itself, before OpenBao's step-up to active."""
        log = self.base_dir / "bao.log"
        times = [
            datetime.fromisoformat(line.split(" ", 1)[0])
            for line in log.read_text(errors="replace").splitlines()
            if "entering leader state" in line
        ]
        return [at for at in times if at > since]

    def health(self) -> int | None:
        """``GET sys/health``'s status: 200 active, 429 standby, 503 sealed; None if down."""
        try:
            return httpx.get(f"{self.addr}/v1/sys/health", timeout=1).status_code
        except httpx.TransportError:
            return None


@dataclass
class RaftCluster:
    """Three Raft nodes; ``root_token`` is the initial root token from ``operator init``."""

    nodes: list[RaftNode]
    root_token: str = field(default="", repr=False)
    unseal_key: str = field(default="", repr=False)

    @classmethod
    def start(cls, base_dir: Path) -> Self:
        """Start, initialise, unseal and join three nodes; return once three voters have a
        leader. Raises ``RuntimeError`` (with the nodes' log tails) otherwise."""
        cluster = cls(
            nodes=[RaftNode(f"node{i + 1}", base_dir / f"node{i + 1}") for i in range(NODES)]
        )
        try:
            for node in cluster.nodes:
                node.start()
            cluster._form()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _form(self) -> None:
        first, *others = self.nodes
        for node in self.nodes:
            self._wait(lambda node=node: node.health() is not None, f"{node.name} to listen")
        init = json.loads(
            self.bao(first, "operator", "init", "-key-shares=1", "-key-threshold=1", "-format=json")
        )
        self.root_token, self.unseal_key = init["root_token"], init["unseal_keys_b64"][0]
        self._unseal(first)
        self._wait(lambda: first.health() == 200, f"{first.name} to become active")
        for node in others:
            self.bao(node, "operator", "raft", "join", first.addr)
            self._unseal(node)
        self._wait(self._three_voters_and_a_leader, "three Raft voters with a leader")

    def _unseal(self, node: RaftNode) -> None:
        """``PUT sys/unseal`` (the key in the body, not on a command line)."""
        answer = httpx.put(f"{node.addr}/v1/sys/unseal", json={"key": self.unseal_key}, timeout=10)
        answer.raise_for_status()

    def _three_voters_and_a_leader(self) -> bool:
        servers = self.raft_servers()
        return (
            len(servers) == NODES
            and all(s["voter"] for s in servers)
            and any(s["leader"] for s in servers)
        )

    def raft_servers(self) -> list[dict[str, Any]]:
        """``GET sys/storage/raft/configuration``'s servers, asked of any live node."""
        for node in self.live_nodes():
            try:
                answer = httpx.get(
                    f"{node.addr}/v1/sys/storage/raft/configuration",
                    headers={"X-Vault-Token": self.root_token},
                    timeout=2,
                )
            except httpx.TransportError:
                continue
            if answer.status_code == 200:
                return list(answer.json()["data"]["config"]["servers"])
        return []

    def live_nodes(self) -> list[RaftNode]:
        return [node for node in self.nodes if node.alive]

    def active(self) -> RaftNode | None:
        """The node whose ``sys/health`` says active (200), if any right now."""
        return next((node for node in self.live_nodes() if node.health() == 200), None)

    def bao(self, node: RaftNode, *args: str) -> str:
        """Run the ``bao`` CLI against ``node`` with the root token; return its stdout."""
        env = {**os.environ, "BAO_ADDR": node.addr, "BAO_TOKEN": self.root_token}
        done = subprocess.run(
            [find_bao(), *args], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"bao {args[0]} {args[1]} on {node.name}: {done.stderr.strip()}")
        return done.stdout

    def root_client(self, addr: str) -> hvac.Client:
        """An hvac client with the root token, reaching the cluster at ``addr``."""
        return connect(addr, token=self.root_token)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def logs(self) -> str:
        """The tail of every node's log, for a failure message."""
        tails = []
        for node in self.nodes:
            log = node.base_dir / "bao.log"
            text = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            tails.append(f"--- {node.name}\n{text}")
        return "\n".join(tails)

    def _wait(self, condition: Any, what: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline or len(self.live_nodes()) < NODES:
                raise RuntimeError(f"timed out waiting for {what}:\n{self.logs()}")
            time.sleep(0.1)
