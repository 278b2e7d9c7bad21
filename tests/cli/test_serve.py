"""``credbot serve`` on its database: it refuses a schema it cannot run on (or migrates it
first with ``--migrate``), and its probes tell a load balancer what to do."""

from __future__ import annotations

import json
import signal
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.sweep import SWEEP_LEASE
from bot.storage.engine import make_engine
from bot.storage.leases import SqlLeases
from bot.storage.migrate import current_revision, head_revision
from tests.support.cli import credbot_process, get, run, wait_for_http
from tests.support.ports import free_port


def test_serve_refuses_a_database_never_migrated_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    result = run({"CREDBOT_DATABASE_URL": url}, "serve")
    assert result.exit_code == 3, result.output
    assert result.output.count("\n") == 1, result.output
    assert "run `credbot db upgrade`" in result.output
    assert current_revision(url) is None  # nothing was created


def test_serve_with_an_unreachable_database_exits_4_without_the_password() -> None:
    url = f"postgresql+psycopg://credbot:hunter2secret@127.0.0.1:{free_port()}/credbot"
    result = run({"CREDBOT_DATABASE_URL": url}, "serve")
    assert result.exit_code == 4, result.output
    assert "the database did not answer" in result.output
    assert "hunter2secret" not in result.output


def test_serve_migrate_upgrades_first_then_is_live_and_ready(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    port = free_port()
    env = {**bot_env, "CREDBOT_DATABASE_URL": url}
    with credbot_process(env, "serve", "--migrate", "--port", str(port)) as served:
        base = f"http://127.0.0.1:{port}"
        assert wait_for_http(f"{base}/livez") == 200
        assert get(f"{base}/readyz") == 200
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as answer:
            assert b"credbot_database_ready 1.0" in answer.read()
    assert served.process.returncode == -signal.SIGTERM, served.output
    assert current_revision(url) == head_revision()


def test_serve_listens_where_the_settings_say_and_outlives_a_vault_outage(
    bot_env: dict[str, str],
) -> None:
    """Started while Vault cannot be reached (a restart during an outage): Slack traffic is
    still taken (/readyz), and /healthz and the metrics report Vault."""
    port = free_port()
    env = {**bot_env, "CREDBOT_PORT": str(port), "VAULT_ADDR": f"http://127.0.0.1:{free_port()}"}
    with credbot_process(env, "serve") as served:
        base = f"http://127.0.0.1:{port}"
        assert wait_for_http(f"{base}/livez") == 200
        assert get(f"{base}/readyz") == 200
        assert get(f"{base}/healthz") == 503
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as answer:
            assert b"credbot_vault_up 0.0" in answer.read()
    assert "logging in at its first use" in served.output
    assert bot_env["VAULT_SECRET_ID"] not in served.output


def test_a_cron_sweep_while_a_replica_sweeps_does_nothing_and_says_who(
    bot_env: dict[str, str], database_url: str
) -> None:
    engine = make_engine(database_url)
    try:
        now = datetime.now(UTC)
        SqlLeases(engine=engine).take_lease(
            SWEEP_LEASE, holder="credbot-7f9c:1", now=now, ttl=timedelta(minutes=2)
        )
        busy = run(bot_env, "sweep", "--json")
        assert busy.exit_code == 5, busy.output
        assert "Another sweep is running (credbot-7f9c:1" in busy.output
        dry = run(bot_env, "sweep", "--dry-run", "--json")  # changes nothing: needs no lease
        assert dry.exit_code == 0, dry.output
        assert json.loads(dry.output)["dry_run"] is True
        SqlLeases(engine=engine).release_lease(SWEEP_LEASE, holder="credbot-7f9c:1")
        assert run(bot_env, "sweep", "--json").exit_code == 0
    finally:
        engine.dispose()
