"""Logging set-up: even at DEBUG, libraries that log whole Slack bodies (the link DM carries
the link secret; ``users.info`` answers carry emails) are held at WARNING."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """What the root logger writes after ``configure_logging``; logging restored after."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    levels = {name: logging.getLogger(name).level for name in ("slack_sdk", "slack_bolt", "hvac")}
    out = io.StringIO()
    try:
        yield out
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.setLevel(saved[0])
        for handler in saved[1]:
            root.addHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_slack_bodies_are_never_logged(stream: io.StringIO, level: str) -> None:
    configure_logging(level)
    logging.getLogger().addHandler(logging.StreamHandler(stream))
    logging.getLogger("slack_sdk.web.base_client").debug("body: https://x/enroll#SECRET")
    logging.getLogger("slack_bolt.App").debug("request body: text=onboard")
    logging.getLogger("credbot.core").info("contractor moved")
    logging.getLogger("hvac.adapters").debug("hvac detail")
    written = stream.getvalue()
    assert "SECRET" not in written and "request body" not in written
    assert "contractor moved" in written
    assert ("hvac detail" in written) is (level == "DEBUG")


def test_json_lines_carry_the_traceback_as_one_string(stream: io.StringIO) -> None:
    configure_logging("INFO", "json")
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        raise ValueError("a bad\nday")
    except ValueError:
        logging.getLogger("credbot.core").exception("sweep failed for %s", "U1")
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["logger"] == "credbot.core"
    assert record["message"] == "sweep failed for U1"
    assert record["exception"].startswith("Traceback (most recent call last):")
    assert record["exception"].endswith("ValueError: a bad\nday")


def test_text_is_the_default(stream: io.StringIO) -> None:
    configure_logging("INFO")
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("uvicorn.access").info("GET /livez")
    assert stream.getvalue().rstrip().endswith("INFO uvicorn.access: GET /livez")
