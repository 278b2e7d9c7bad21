"""Schema migrations, run programmatically (``credbot db upgrade`` and the test fixtures).

The Alembic configuration is built in code, pointing at the migrations shipped inside the
package, so no ``alembic.ini`` has to exist on disk where credbot is installed.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from bot.core.health import NotReady
from bot.storage.engine import make_engine, read_only

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class SchemaNotCurrent(NotReady):
    """The database's schema is older than this code (or absent): it must be upgraded first."""

    def __init__(self, *, current: str | None, head: str) -> None:
        where = "has no credbot schema" if current is None else f"is at revision {current}"
        super().__init__(
            f"the database {where}, this version needs {head}: run `credbot db upgrade` "
            "(or start with `credbot serve --migrate`)",
            status="not migrated" if current is None else "schema outdated",
        )
        self.current = current
        self.head = head


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
    head = _scripts().get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def ensure_current(connection: Connection) -> str:
    """Return the revision the database is at when this code can run on it: the newest one
    shipped, or one this code does not know, which only a newer version can have written
    (migrations keep older code working, so a rolling upgrade never stops the old replicas).
    Raises ``SchemaNotCurrent`` for an empty database or an older revision."""
    current = MigrationContext.configure(connection).get_current_revision()
    head = head_revision()
    if current == head or (current is not None and current not in _known_revisions()):
        return current
    raise SchemaNotCurrent(current=current, head=head)


@functools.cache
def _scripts() -> ScriptDirectory:
    """The shipped migrations, read once per process (health probes ask on every call)."""
    return ScriptDirectory.from_config(alembic_config())


@functools.cache
def _known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _scripts().walk_revisions())
