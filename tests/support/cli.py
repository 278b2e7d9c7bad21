"""Running ``credbot`` in tests: with exactly the settings given, as a bot on the shared
OpenBao (its own AppRole) and the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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


def get(url: str) -> int:
    """The HTTP status of ``GET url``."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def wait_for_http(url: str, *, timeout: float = 120) -> int:
    """Poll ``url`` until the server answers at all; return that first status."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get(url)
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, f"nothing answered at {url}"
            time.sleep(0.1)


@dataclass
class Running:
    """A credbot process; ``output`` (stdout and stderr) is filled in once it ended."""

    process: subprocess.Popen[str]
    output: str = ""


@contextmanager
def credbot_process(env: dict[str, str], *args: str) -> Iterator[Running]:
    """``python -m bot *args`` as a real process with exactly these settings; SIGTERM and
    wait when the block ends."""
    settings = {k: v for k, v in clean_env(env).items() if v is not None}
    inherited = {k: v for k, v in os.environ.items() if k not in clean_env(env)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env={**inherited, **settings},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Running(process)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
        running.output, _ = process.communicate(timeout=30)


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
