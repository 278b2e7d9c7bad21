"""``credbot demo``, the README's run command, as a user runs it: a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_lifecycle_on_embedded_defaults(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CREDBOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--data-dir", str(tmp_path / "demo")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for state in ("awaiting_approval", "issued", "active", "revoked"):
        assert f"-> {state}" in out
    assert re.search(r"Audit trail: \d+ hash-chained events, intact", out)
    link = re.search(r"/enroll#(\S+)", out)
    assert link is not None and set(link[1]) == {"•"}, "the link secret must not be printed"
    assert (tmp_path / "demo" / "credbot.sqlite3").exists()
