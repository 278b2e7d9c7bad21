"""Database health, for ``GET /healthz``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.storage.engine import read_only


def check_database(engine: Engine) -> None:
    """Run ``SELECT 1``; return if the database answers, else let the driver's error propagate.

    Raises ``sqlalchemy.exc.SQLAlchemyError`` (usually ``OperationalError``) when unreachable.
    """
    with engine.connect() as connection:
        read_only(connection).execute(sa.text("SELECT 1")).scalar_one()
