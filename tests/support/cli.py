"""Running ``credbot`` in tests: with exactly the settings given, as a bot on the shared
OpenBao (its own AppRole) and the test database."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from tests.support.openbao import OpenBaoServer
from vault.layout import ANCHOR_PATH, AUDIT_MOUNT
from vault.setup import generate_secret_id, read_role_id


def clean_env(env: dict[str, str]) -> dict[str, str | None]:
    """``env`` and nothing else of credbot's settings from the test process."""
    clean = {key: None for key in os.environ if key.startswith(("VAULT_", "CREDBOT_", "SLACK_"))}
    return {**clean, **env}


def run(env: dict[str, str], *args: str) -> Result:
    """Invoke ``credbot`` with exactly these settings (none inherited from the test process)."""
    return CliRunner().invoke(main, list(args), env=clean_env(env), catch_exceptions=False)


@pytest.fixture
def bot_env(openbao: OpenBaoServer, database_url: str, vault_initialized: object) -> dict[str, str]:
    """Settings of a bot using its AppRole on the shared server and the test database. The
    shared server's audit anchor is removed first: it belongs to another test's database."""
    root = openbao.root_client()
    root.adapter.request("DELETE", f"/v1/{AUDIT_MOUNT}/metadata/{ANCHOR_PATH}")
    secret_id, _ = generate_secret_id(root)
    return {
        "VAULT_ADDR": openbao.addr,
        "VAULT_ROLE_ID": read_role_id(root),
        "VAULT_SECRET_ID": secret_id,
        "CREDBOT_DATABASE_URL": database_url,
    }
