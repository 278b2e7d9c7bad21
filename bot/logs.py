"""Logging set-up: one line per event, level from ``CREDBOT_LOG_LEVEL``.

Secrets never reach a log call in the first place (the types that hold them hide them from
``repr``); a test runs the whole lifecycle at DEBUG with canary secrets and scans the output.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


BODY_LOGGERS = ("slack_sdk", "slack_bolt")
"""Libraries whose DEBUG lines carry whole request and response bodies: the link DM (with the
link secret), ``users.info`` answers (emails). They stay at WARNING at every level."""
NOISY = ("urllib3", "hvac", "alembic")


def configure_logging(level: str) -> None:
    """Send logs to stderr at ``level``; quiet chatty libraries below WARNING unless DEBUG,
    and the ones that log bodies always."""
    logging.basicConfig(level=level, format=FORMAT, force=True)
    for name in BODY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.NOTSET if level == "DEBUG" else logging.WARNING)
