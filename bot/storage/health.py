"""Database health, for ``/readyz``, ``/healthz``, ``/metrics`` and ``credbot serve``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.storage.engine import read_only
from bot.storage.migrate import ensure_current


def check_database(engine: Engine) -> str:
    """Run ``SELECT 1`` and read the schema's revision; return it when the database answers
    and this code can run on it.

    Raises ``sqlalchemy.exc.SQLAlchemyError`` (usually ``OperationalError``) when unreachable,
    ``SchemaNotCurrent`` when the schema is absent or older than this code: a replica must not
    take traffic it would answer with errors (before this check, ``/healthz`` said 200 on a
    database never migrated while every request failed).
    """
    with engine.connect() as connection:
        reader = read_only(connection)
        reader.execute(sa.text("SELECT 1")).scalar_one()
        return ensure_current(reader)
