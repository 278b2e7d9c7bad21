"""``credbot serve`` with ``CREDBOT_AUDIT_LOG``: the reader runs inside the real server process
(Slack off: the alert is logged), counted in ``/metrics``."""

from __future__ import annotations

import time
import urllib.request

from bot.core import issuing
from bot.core.context import Core
from tests.support.cli import credbot_process, wait_for_http
from tests.support.contractor import enrol, login
from tests.support.core import APPROVER, approved_contractor, link_secret
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from tests.support.ports import free_port


def alerts_counted(base: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith("credbot_sharing_alerts_total "):
                return float(line.split()[1])
    return 0.0


def test_serve_follows_the_audit_log_and_alerts_on_a_shared_account(
    bot_env: dict[str, str], openbao: OpenBaoServer, core: Core, notifier: RecordingNotifier
) -> None:
    contractor = approved_contractor(core)
    issuing.issue(core, contractor.id, actor=APPROVER)
    secret = link_secret(notifier.last_link)
    saved = enrol(core, secret, notifier.code_for(secret))
    port = free_port()
    env = {
        **bot_env,
        "CREDBOT_PORT": str(port),
        "CREDBOT_AUDIT_LOG": str(openbao.audit_log_path),
        "CREDBOT_SWEEP_INTERVAL": "0",
    }
    with credbot_process(env, "serve") as served:
        base = f"http://127.0.0.1:{port}"
        assert wait_for_http(f"{base}/livez") == 200
        login(openbao.addr, saved)
        login(openbao.addr, saved, source="127.0.0.2")
        deadline = time.monotonic() + 10
        while alerts_counted(base) < 1:
            assert time.monotonic() < deadline, "no shared-account alert within 10 s"
            time.sleep(0.2)
    assert f"shared account? {saved.username}" in served.output
    assert "127.0.0.2" in served.output
    assert saved.password not in served.output
