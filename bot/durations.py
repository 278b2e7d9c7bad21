"""Human durations in settings and flags: ``90s``, ``30m``, ``24h``, ``7d``, or plain seconds."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """Parse a duration; raise ``ValueError`` with the accepted forms for anything else."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration; use e.g. 90s, 30m, 24h, 7d")
    return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])
