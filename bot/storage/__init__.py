"""Durable state for credbot: SQLModel tables, Alembic migrations and ``SqlStore``.

SQLite (one file, the default) and PostgreSQL (several bot replicas, one database) are both
first-class: every test in ``tests/storage`` runs against both.
"""

from __future__ import annotations

from bot.storage.engine import make_engine
from bot.storage.health import check_database
from bot.storage.migrate import current_revision, head_revision, upgrade
from bot.storage.store import SqlStore

__all__ = [
    "SqlStore",
    "check_database",
    "current_revision",
    "head_revision",
    "make_engine",
    "upgrade",
]
