"""``credbot vault init`` says whether Vault has a file audit device (shared-account
detection reads it) and, when not, shows the stanza to add: OpenBao 2.x takes audit devices
only from the server's configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.layers import refuse_in_fast_layer
from tests.support.openbao import OpenBaoServer
from vault.audit_devices import file_stanza


class UnauditedOpenBao(OpenBaoServer):
    """A dev server started without the audit device's ``-config``."""

    def server_arguments(self) -> list[str]:
        return [arg for arg in super().server_arguments() if not arg.startswith("-config=")]


@pytest.fixture
def unaudited_openbao(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenBaoServer]:
    """Its tests are marked ``server``: the fast layer knows only the shared fixtures."""
    refuse_in_fast_layer(request, "OpenBao")
    server = UnauditedOpenBao(log_path=tmp_path / "openbao.log").start()
    try:
        yield server
    finally:
        server.stop()


def env_of(server: OpenBaoServer, **extra: str) -> dict[str, str]:
    return {"VAULT_ADDR": server.addr, "VAULT_TOKEN": server.root_token, **extra}


def test_init_names_the_file_audit_device(throwaway_openbao: OpenBaoServer) -> None:
    audit_log = str(throwaway_openbao.audit_log_path)
    result = run(env_of(throwaway_openbao, CREDBOT_AUDIT_LOG=audit_log), "vault", "init")
    assert result.exit_code == 0, result.output
    assert f"audit device: file credbot/ writes {audit_log}" in result.output
    assert "audit {" not in result.output and "no file audit device" not in result.output


def test_init_says_when_credbot_audit_log_is_not_what_vault_writes(
    throwaway_openbao: OpenBaoServer,
) -> None:
    result = run(env_of(throwaway_openbao, CREDBOT_AUDIT_LOG="/elsewhere.log"), "vault", "init")
    assert result.exit_code == 0, result.output
    assert "CREDBOT_AUDIT_LOG is /elsewhere.log, which no file audit device writes" in (
        result.output
    )


@pytest.mark.server
def test_init_without_an_audit_device_shows_the_stanza_to_add(
    unaudited_openbao: OpenBaoServer,
) -> None:
    result = run(env_of(unaudited_openbao, CREDBOT_AUDIT_LOG="/var/log/bao.log"), "vault", "init")
    assert result.exit_code == 0, result.output
    assert "audit device: none of type file" in result.output
    assert file_stanza("/var/log/bao.log") in result.output
