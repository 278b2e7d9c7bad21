"""``CREDBOT_LOG_FORMAT=json``: ``credbot serve`` writes one JSON object per line, its own
records and uvicorn's (start-up, errors, access) alike, so a log pipeline never has to parse
two formats or split a traceback."""

from __future__ import annotations

import json
import signal

from tests.support.cli import credbot_process, get, wait_for_http
from tests.support.ports import free_port


def test_serve_logs_one_json_object_per_line(bot_env: dict[str, str]) -> None:
    port = free_port()
    env = {**bot_env, "CREDBOT_LOG_FORMAT": "json", "CREDBOT_PORT": str(port)}
    with credbot_process(env, "serve") as served:
        base = f"http://127.0.0.1:{port}"
        assert wait_for_http(f"{base}/livez") == 200
        assert get(f"{base}/no-such-page") == 404
    assert served.process.returncode == -signal.SIGTERM, served.output

    lines = served.output.splitlines()
    records = [json.loads(line) for line in lines]  # every line is one object
    assert all(set(r) == {"time", "level", "logger", "message"} for r in records), records
    assert all(r["time"].endswith("+00:00") for r in records)
    by_logger = {r["logger"] for r in records}
    assert {"credbot.wiring", "uvicorn.error", "uvicorn.access"} <= by_logger
    access = [r["message"] for r in records if r["logger"] == "uvicorn.access"]
    assert any('"GET /no-such-page HTTP/1.1" 404' in message for message in access)
    assert any(
        r["logger"] == "credbot.wiring"
        and r["level"] == "WARNING"
        and "Slack is off" in r["message"]
        for r in records
    )
