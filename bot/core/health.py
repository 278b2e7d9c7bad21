"""Why a part of credbot cannot serve, in terms the doors can show.

``/readyz``, ``/healthz`` and ``credbot serve`` all ask the same checks; these exceptions let
them say more than "unavailable" without importing the storage package.
"""

from __future__ import annotations


class NotReady(Exception):
    """A part answers but cannot serve yet (a database schema older than this code).

    ``status`` is a few words safe to show on a public endpoint; the message says what to do.
    """

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status


class DatabaseUnavailable(Exception):
    """The database did not answer; the message names the driver's error class, never the URL
    (it may hold a password)."""


class DatabaseMisconfigured(Exception):
    """``CREDBOT_DATABASE_URL`` names a database that cannot be made: a SQLite file whose
    directory cannot be created. A setting to fix, not an outage."""
