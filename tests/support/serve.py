"""``credbot serve`` as an operator runs it: a real process on free loopback ports, Slack on
(Web API at the stand-in) and the KYC webhook on, a SQLite file, the bot on its own AppRole.
Its memory is read from ``/proc`` so tests can show what a request cost the process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.cli.context import EXIT_UNAVAILABLE
from bot.dev.slack_standin import SlackStandIn
from tests.support.cli import clean_env, run
from tests.support.openbao import OpenBaoServer
from tests.support.ports import free_port
from tests.support.slack import slack_env
from vault.setup import generate_secret_id, read_role_id

WEBHOOK_SECRET = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76"
ESTABLISHED, LISTEN = "01", "0A"
"""TCP states as ``/proc/net/tcp`` writes them."""
PORT_TAKEN = "Address already in use"
"""What ``credbot serve`` says (with exit code ``EXIT_UNAVAILABLE``) when a port is taken."""
PORT_ATTEMPTS = 3
START_TIMEOUT_S = 120.0
"""Long on purpose: a process that starts fast is not slowed by it, and on a loaded two-core
machine importing credbot and migrating can take half a minute."""


def serve_env(openbao: OpenBaoServer, standin: SlackStandIn, data: Path) -> dict[str, str]:
    """Settings of a bot with Slack and the KYC webhook on, on a migrated SQLite file in
    ``data``, with the scheduled sweep off (the tests measure requests, not sweeps)."""
    root = openbao.root_client()
    secret_id, _ = generate_secret_id(root)
    env = {
        **slack_env(standin),
        "VAULT_ADDR": openbao.addr,
        "VAULT_ROLE_ID": read_role_id(root),
        "VAULT_SECRET_ID": secret_id,
        "CREDBOT_DATABASE_URL": f"sqlite:///{data / 'credbot.sqlite3'}",
        "CREDBOT_IDENTITY_CHECKS": "requester_role,slack_account,email_domain,kyc_webhook",
        "CREDBOT_KYC_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CREDBOT_SWEEP_INTERVAL": "0",
    }
    upgraded = run(env, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    return env


@dataclass
class Served:
    """One running ``credbot serve`` process."""

    process: subprocess.Popen[str]
    port: int
    ops_port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ops_url(self) -> str:
        assert self.ops_port is not None, "started without --ops-port"
        return f"http://127.0.0.1:{self.ops_port}"

    def rss_mib(self) -> float:
        """Resident memory now."""
        return self._status_kib("VmRSS") / 1024

    def peak_rss_mib(self) -> float:
        """The most resident memory the process ever had (``VmHWM``)."""
        return self._status_kib("VmHWM") / 1024

    def open_connections(self, client_ports: Collection[int]) -> int:
        """TCP connections the process holds open on the public port (from ``/proc``) with
        the clients on ``client_ports``: only those, so that a connection another test left
        closing is not counted."""
        return self._sockets_on(self.port, state=ESTABLISHED, peer_ports=client_ports)

    def listens_on(self, port: int) -> bool:
        """Whether this process (not some other one) holds the socket listening on ``port``."""
        return self._sockets_on(port, state=LISTEN) > 0

    def _sockets_on(
        self, port: int, *, state: str, peer_ports: Collection[int] | None = None
    ) -> int:
        """The process's TCP sockets whose local port is ``port``, whose state (as
        ``/proc/net/tcp`` writes it) is ``state`` and, if ``peer_ports`` is given, whose
        remote port is one of them."""
        inodes = {
            target.removeprefix("socket:[").rstrip("]")
            for target in self._open_files()
            if target.startswith("socket:")
        }
        local = f":{port:04X}"
        peers = None if peer_ports is None else {f":{peer:04X}" for peer in peer_ports}
        matched = set()  # by inode: a table that changes while it is read can list a socket twice
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                ours = fields[1].endswith(local) and fields[9] in inodes
                with_peer = peers is None or fields[2][-5:] in peers
                if ours and fields[3] == state and with_peer:
                    matched.add(fields[9])
        return len(matched)

    def _open_files(self) -> Iterator[str]:
        """What each of the process's file descriptors points at; one closed while being
        read (a starting process opens and closes many) is skipped."""
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            with contextlib.suppress(FileNotFoundError):
                yield os.readlink(fd)

    def stop(self) -> str:
        """SIGTERM, as an orchestrator stops it; return everything it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=30)
        return output

    def _status_kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise AssertionError(f"no {field} in /proc/{self.process.pid}/status")


def start_serve(env: dict[str, str], *args: str, ops_port: int | None = None) -> Served:
    """Start ``credbot serve`` with exactly ``env`` (nothing of credbot's settings inherited),
    ``args`` and ``--ops-port ops_port`` if given; return once the process listens on its
    ports and ``/healthz`` answers 200 (on the ops port when there is one, from the option or
    ``CREDBOT_OPS_PORT``).

    A process outside the test run can still take a port between ``free_port`` and the bind:
    this one then exits with 4 (``PORT_TAKEN``) while the other answers on the port. So the
    health answer counts only once this process holds the listening sockets, and a start that
    lost a port is tried again on fresh ones."""
    for attempt in range(PORT_ATTEMPTS):
        if attempt:
            ops_port = ops_port and free_port()
            env = (
                {**env, "CREDBOT_OPS_PORT": str(free_port())} if "CREDBOT_OPS_PORT" in env else env
            )
        served = _start_serve_once(env, args, ops_port)
        if served is not None:
            return served
    raise AssertionError(f"credbot serve found its ports taken {PORT_ATTEMPTS} times")


def _start_serve_once(
    env: dict[str, str], args: tuple[str, ...], ops_port: int | None
) -> Served | None:
    """One start of ``start_serve``: the running process, or None when a port was taken."""
    port = free_port()
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port), *args]
    if ops_port is not None:
        command += ["--ops-port", str(ops_port)]
    elif "CREDBOT_OPS_PORT" in env:
        ops_port = int(env["CREDBOT_OPS_PORT"])
    settings = {k: v for k, v in clean_env(env).items() if v is not None}
    inherited = {k: v for k, v in os.environ.items() if k not in clean_env(env)}
    process = subprocess.Popen(
        command,
        env={**inherited, **settings},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(process=process, port=port, ops_port=ops_port)
    try:
        return served if _until_serving(served) else None
    except BaseException:  # a failed check or Ctrl-C must not leave the process running
        served.stop()
        raise


def _until_serving(served: Served) -> bool:
    """Wait until ``served`` listens on its ports and answers ``/healthz``: True; False when it
    exited because a port was taken; an AssertionError for any other exit or no answer."""
    ports = [served.port] if served.ops_port is None else [served.port, served.ops_port]
    health = f"{served.ops_url if served.ops_port else served.url}/healthz"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if served.process.poll() is not None:
            output = served.stop()
            if served.process.returncode == EXIT_UNAVAILABLE and PORT_TAKEN in output:
                return False
            raise AssertionError(f"credbot serve exited early:\n{output}")
        try:
            if all(map(served.listens_on, ports)) and httpx.get(health, timeout=2).is_success:
                return True
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"credbot serve did not answer:\n{served.stop()}")
        time.sleep(0.1)
