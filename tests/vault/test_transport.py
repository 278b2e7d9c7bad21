"""How credbot reaches a Vault run as enterprises run it: TLS with a private CA, a namespace,
and a network that drops connections, against real OpenBao servers (and a TCP proxy that
resets connections in front of one)."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.wiring import bot_vault_client
from tests.support.cli import run
from tests.support.contractor import fresh_code
from tests.support.failover_proxy import FailoverProxy
from tests.support.http_proxy import ForwardingProxy
from tests.support.openbao import OpenBaoServer, TlsOpenBaoServer, accounts_for
from vault.accounts import VaultAccounts
from vault.client import Retries, connect, request
from vault.errors import VaultUnavailable
from vault.metrics import VAULT_ERRORS, VAULT_RETRIES, operation_label
from vault.mounts import list_auth_methods
from vault.setup import generate_secret_id, initialize, read_role_id

WRAP = timedelta(minutes=5)


@pytest.fixture
def tls_openbao(tmp_path: Path) -> Iterator[TlsOpenBaoServer]:
    """A dev server on a TLS listener, with its own CA."""
    server = TlsOpenBaoServer(log_path=tmp_path / "openbao.log").start()
    try:
        yield server
    finally:
        server.stop()


def test_a_vault_with_a_private_ca_is_trusted_only_with_that_ca(
    tls_openbao: TlsOpenBaoServer, tmp_path: Path
) -> None:
    env = {"VAULT_ADDR": tls_openbao.addr, "VAULT_TOKEN": tls_openbao.root_token}

    started = time.monotonic()
    refused = run(env, "vault", "init")
    assert refused.exit_code == 4, refused.output
    assert refused.output.count("\n") == 1
    assert "certificate is not signed by a CA credbot trusts" in refused.output
    assert "VAULT_CACERT" in refused.output
    assert time.monotonic() - started < 5  # an untrusted certificate is not retried
    assert "credbot/" not in list_auth_methods(tls_openbao.root_client())

    trusted = run({**env, "VAULT_CACERT": str(tls_openbao.ca_file)}, "vault", "init")
    assert trusted.exit_code == 0, trusted.output
    assert "credbot/" in list_auth_methods(tls_openbao.root_client())

    hashed = tmp_path / "ca-dir"
    hashed.mkdir()
    (hashed / "ca.pem").write_bytes(tls_openbao.ca_file.read_bytes())
    plain = run({**env, "VAULT_CAPATH": str(hashed)}, "vault", "init")
    assert plain.exit_code == 3 and f"openssl rehash {hashed}" in plain.output
    subprocess.run(["openssl", "rehash", str(hashed)], check=True, capture_output=True)
    by_directory = run({**env, "VAULT_CAPATH": str(hashed)}, "vault", "init")
    assert by_directory.exit_code == 0, by_directory.output
    assert "in place:     policy credbot-bot" in by_directory.output


def test_the_ca_bundle_of_the_environment_is_trusted_without_vault_cacert(
    tls_openbao: TlsOpenBaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``REQUESTS_CA_BUNDLE`` (read once, when the client is made) is trusted when neither
    ``VAULT_CACERT`` nor ``VAULT_CAPATH`` is set; one of those wins over it."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_openbao.ca_file))
    trusting = connect(tls_openbao.addr, token=tls_openbao.root_token, retries=Retries(0))
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert request(trusting, "GET", "auth/token/lookup-self")
    with pytest.raises(VaultUnavailable, match="certificate is not signed by a CA"):
        request(connect(tls_openbao.addr, token=tls_openbao.root_token), "GET", "sys/auth")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_openbao.ca_file))
    system_cas = "/etc/ssl/certs/ca-certificates.crt"
    pinned = connect(tls_openbao.addr, token=tls_openbao.root_token, verify=system_cas)
    with pytest.raises(VaultUnavailable, match="certificate is not signed by a CA"):
        request(pinned, "GET", "sys/auth")


def test_an_operators_http_proxy_carries_the_calls_unless_no_proxy_names_vault(
    openbao: OpenBaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``HTTP_PROXY``/``HTTPS_PROXY`` and ``NO_PROXY`` as they were when the client was made."""
    forwarding = ForwardingProxy().start()
    try:
        for name in ("NO_PROXY", "no_proxy", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", forwarding.url)
        through = connect(openbao.addr, token=openbao.root_token)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        direct = connect(openbao.addr, token=openbao.root_token)

        assert request(through, "GET", "auth/token/lookup-self")
        assert forwarding.forwarded == [f"{openbao.addr}/v1/auth/token/lookup-self"]
        assert request(direct, "GET", "auth/token/lookup-self")
        assert len(forwarding.forwarded) == 1
    finally:
        forwarding.stop()


def test_credbot_lives_in_its_namespace(throwaway_openbao: OpenBaoServer, tmp_path: Path) -> None:
    """Set-up, issue, the contractor's first login and revocation all happen inside
    ``VAULT_NAMESPACE``: every request carries ``X-Vault-Namespace``, or the root namespace
    (which has no credbot mounts) would answer."""
    root = throwaway_openbao.root_client()
    request(root, "POST", "sys/namespaces/team-a")
    env = {
        "VAULT_ADDR": throwaway_openbao.addr,
        "VAULT_TOKEN": throwaway_openbao.root_token,
        "VAULT_NAMESPACE": "team-a",
    }
    init = run(env, "vault", "init", "--secret-id-file", str(tmp_path / "secret-id"))
    assert init.exit_code == 0, init.output
    assert "audit devices to this token" in init.output  # listed in the root namespace only
    assert "credbot/" not in list_auth_methods(root)
    in_namespace = connect(
        throwaway_openbao.addr, token=throwaway_openbao.root_token, namespace="team-a"
    )
    assert "credbot/" in list_auth_methods(in_namespace)

    settings = load_settings(
        {
            "VAULT_ADDR": throwaway_openbao.addr,
            "VAULT_NAMESPACE": "team-a",
            "VAULT_ROLE_ID": read_role_id(in_namespace),
            "VAULT_SECRET_ID": (tmp_path / "secret-id").read_text().strip(),
        }
    )
    accounts = VaultAccounts(client=bot_vault_client(settings))
    issued = accounts.issue_account(username="ctr-in-team-a", wrap_ttl=WRAP)
    secrets = accounts.unwrap_account(username="ctr-in-team-a", delivery=issued.delivery)
    accounts.prove_login(
        username="ctr-in-team-a", password=secrets.password, code=fresh_code(secrets.totp_secret)
    )
    assert list(accounts.iter_accounts()) == ["ctr-in-team-a"]
    assert accounts.revoke_account(username="ctr-in-team-a").complete
    assert list(accounts.iter_accounts()) == []


@pytest.fixture
def proxy(openbao: OpenBaoServer, vault_initialized: object) -> Iterator[FailoverProxy]:
    """A proxy in front of the shared, initialised server, to drop connections with."""
    flaky = FailoverProxy([("127.0.0.1", openbao.port)]).start()
    try:
        yield flaky
    finally:
        flaky.stop()


def _retries(operation: str) -> float:
    return float(VAULT_RETRIES.labels(operation=operation)._value.get())


def test_a_vault_that_drops_the_first_connections_is_retried(
    openbao: OpenBaoServer, proxy: FailoverProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="vault.client")
    root = openbao.root_client()
    secret_id, _ = generate_secret_id(root)
    logins = _retries("POST auth/approle/login")

    proxy.drop(2)  # Vault's load balancer comes back: the bot's login gets through third time
    bot = connect(proxy.addr, role_id=read_role_id(root), secret_id=secret_id)
    assert proxy.accepted == 3
    assert _retries("POST auth/approle/login") == logins + 2
    accounts = VaultAccounts(client=bot)

    proxy.drop(1)
    issued = accounts.issue_account(username="ctr-retried", wrap_ttl=WRAP)
    proxy.drop(2)
    assert accounts.revoke_account(username="ctr-retried").complete
    assert "ctr-retried" not in list(accounts.iter_accounts())

    retried = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retried) >= 5
    assert "POST auth/approle/login: Vault unreachable (connection failed to" in retried[0]
    assert "retry 1 of 2 in" in retried[0] and "retry 2 of 2 in" in retried[1]
    assert all(secret_id not in line for line in caplog.messages)
    assert all(issued.delivery.password not in line for line in caplog.messages)


@pytest.mark.parametrize(
    ("method", "path", "wrapped", "retry", "attempts"),
    [
        ("GET", "sys/auth", False, None, 3),
        ("LIST", "auth/credbot/users", False, None, 3),
        ("DELETE", "credbot-pending/metadata/ctr-x", False, None, 3),
        ("POST", "sys/wrapping/lookup", False, True, 3),  # only reads: vault.wrapping says so
        ("POST", "sys/mounts/retry-test", False, None, 1),  # a write: not unless marked
        ("POST", "sys/wrapping/unwrap", False, True, 1),  # single-use: never, even if marked
        ("POST", "sys/mfa/validate", False, True, 1),  # single-use: never, even if marked
        ("GET", "credbot-pending/data/ctr-x", True, True, 1),  # wrapped: never, even if marked
    ],
)
def test_only_calls_safe_to_repeat_are_retried(
    openbao: OpenBaoServer,
    proxy: FailoverProxy,
    method: str,
    path: str,
    wrapped: bool,
    retry: bool | None,
    attempts: int,
) -> None:
    client = connect(proxy.addr, token=openbao.root_token)
    label = {"operation": operation_label(f"{method} {path}"), "kind": "unavailable"}
    errors = VAULT_ERRORS.labels(**label)._value.get()
    proxy.drop(None)
    with pytest.raises(VaultUnavailable, match="Vault unreachable"):
        request(
            client,
            method,
            path,
            json={"token": "x"} if method == "POST" else None,
            wrap_ttl=WRAP if wrapped else None,
            retry=retry,
        )
    assert proxy.accepted == attempts
    assert VAULT_ERRORS.labels(**label)._value.get() == errors + 1  # once, however often tried


def test_retries_stop_within_their_time_budget(
    openbao: OpenBaoServer, proxy: FailoverProxy
) -> None:
    client = connect(
        proxy.addr,
        token=openbao.root_token,
        retries=Retries(max_retries=50, first_delay=0.2, max_delay=0.4, budget=1.5),
    )
    proxy.drop(None)
    started = time.monotonic()
    with pytest.raises(VaultUnavailable):
        request(client, "GET", "sys/auth")
    assert time.monotonic() - started < 2.5
    assert 3 <= proxy.accepted < 50


def test_a_sealed_vault_is_retried_then_reported(
    throwaway_openbao: OpenBaoServer, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = accounts_for(throwaway_openbao)
    initialize(throwaway_openbao.root_client())
    before = _retries("LIST auth/credbot/users")
    throwaway_openbao.seal()
    caplog.set_level(logging.WARNING, logger="vault.client")
    with pytest.raises(VaultUnavailable, match="sealed"):
        list(accounts.iter_accounts())
    assert _retries("LIST auth/credbot/users") == before + 2
    assert any("Vault is sealed" in line and "retry 2 of 2" in line for line in caplog.messages)


class _Redirector:
    """A standby as Vault runs one: every request answered ``307`` to the active node's
    address, the same path."""

    def __init__(self, active: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def _redirect(self) -> None:
                self.send_response(307)
                self.send_header("Location", f"{active}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _redirect  # noqa: N815 (http.server's names)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.addr = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_a_standby_s_redirect_is_followed_with_the_token_and_the_body(
    openbao: OpenBaoServer,
) -> None:
    standby = _Redirector(openbao.addr.replace("127.0.0.1", "localhost"))
    try:
        client = connect(standby.addr, token=openbao.root_token, retries=Retries(0))
        assert request(client, "GET", "auth/token/lookup-self")
        looked_up = request(
            client, "POST", "auth/token/lookup", json={"token": openbao.root_token}, retry=True
        )
        assert looked_up is not None and looked_up["data"]["policies"] == ["root"]
    finally:
        standby.stop()
