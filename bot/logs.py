"""Logging set-up: one line per event, level from ``CREDBOT_LOG_LEVEL``.

Secrets never reach a log call in the first place (the types that hold them hide them from
``repr``); a test runs the whole lifecycle at DEBUG with canary secrets and scans the output.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Send logs to stderr at ``level``; quiet chatty libraries below WARNING unless DEBUG."""
    logging.basicConfig(level=level, format=FORMAT, force=True)
    if level != "DEBUG":
        for noisy in ("urllib3", "hvac", "alembic", "slack_bolt", "slack_sdk"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
