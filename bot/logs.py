"""Logging set-up: one line per event, level from ``CREDBOT_LOG_LEVEL``, format from
``CREDBOT_LOG_FORMAT``: ``text`` for people, ``json`` (one JSON object per line) for a log
pipeline. uvicorn's error and access logs go through the same handler, so they come out in the
same format as credbot's own.

Secrets never reach a log call in the first place (the types that hold them hide them from
``repr``); a test runs the whole lifecycle at DEBUG with canary secrets and scans the output.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


BODY_LOGGERS = ("slack_sdk", "slack_bolt")
"""Libraries whose DEBUG lines carry whole request and response bodies: the link DM (with the
link secret), ``users.info`` answers (emails). They stay at WARNING at every level."""
NOISY = ("urllib3", "hvac", "alembic")
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
"""uvicorn's loggers: ``credbot serve`` leaves them without handlers of their own (uvicorn's
``log_config=None``), so their records reach the root handler configured here."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601, milliseconds), ``level``,
    ``logger``, ``message``, and ``exception`` (the formatted traceback, one string) when the
    record carries one. A multi-line message or traceback stays on one line, escaped, so a log
    shipper never splits an event."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: Literal["text", "json"] = "text") -> None:
    """Send logs to stderr at ``level``, as text or JSON (``log_format``); quiet chatty
    libraries below WARNING unless DEBUG, and the ones that log bodies always; let uvicorn's
    loggers propagate to the same handler."""
    logging.basicConfig(level=level, format=FORMAT, force=True)
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    for name in SERVER_LOGGERS:
        server = logging.getLogger(name)
        server.handlers.clear()
        server.propagate = True
    for name in BODY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.NOTSET if level == "DEBUG" else logging.WARNING)
