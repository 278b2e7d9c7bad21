"""Logs at DEBUG for the tests that scan them for secrets.

``caplog.set_level(logging.DEBUG)`` sets the root logger only; a library logger that an earlier
test (any ``credbot`` command) set to WARNING through ``bot.logs.configure_logging`` stays
there, and its DEBUG lines, the ones most likely to carry a body, would never be scanned.
"""

from __future__ import annotations

import logging

import pytest

from bot.logs import NOISY


def capture_debug(caplog: pytest.LogCaptureFixture) -> None:
    """Capture DEBUG from the root and from every library ``configure_logging`` may quiet
    (restored after the test)."""
    caplog.set_level(logging.DEBUG)
    for name in (*NOISY, "vault", "credbot", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
