"""Schema migrations, run programmatically (``credbot db upgrade`` and the test fixtures).

The Alembic configuration is built in code, pointing at the migrations shipped inside the
package, so no ``alembic.ini`` has to exist on disk where credbot is installed.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.storage.engine import make_engine, read_only

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` for the packaged migrations (``url`` only for the Alembic CLI path)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> str:
    """Migrate the database at ``url`` to ``revision`` (default: the newest), in one transaction;
    return the revision now in place.

    Idempotent: running it on an up-to-date database changes nothing. On SQLite the transaction
    starts with ``BEGIN IMMEDIATE`` (see ``bot.storage.engine``), so two replicas upgrading at
    once run one after the other; the DDL is transactional on both backends.
    """
    engine = make_engine(url)
    try:
        return upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def upgrade_engine(engine: Engine, revision: str = "head") -> str:
    """Like ``upgrade``, on an existing engine."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        now = MigrationContext.configure(connection).get_current_revision()
    if now is None:
        raise RuntimeError(f"upgrade to {revision} left no revision in place")
    return now


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (``None`` for a database never migrated)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(read_only(connection)).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of credbot."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head
