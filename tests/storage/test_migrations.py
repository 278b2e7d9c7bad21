"""The migrations are what builds the schema, so they are what is tested against the tables."""

from __future__ import annotations

import importlib.util
import warnings

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.storage.engine import make_engine
from bot.storage.migrate import MIGRATIONS_DIR, current_revision, head_revision, upgrade
from bot.storage.tables import LIVE_PREDICATE, metadata


def test_upgrade_is_idempotent_and_reports_head(empty_database_url: str) -> None:
    assert current_revision(empty_database_url) is None
    assert upgrade(empty_database_url) == "0007"
    assert upgrade(empty_database_url) == "0007"
    assert current_revision(empty_database_url) == head_revision() == "0007"


def test_migrations_match_the_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection, warnings.catch_warnings():
            warnings.simplefilter("error")  # a skipped comparison must not pass silently
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_initial_migration_live_predicate_is_current() -> None:
    """Autogenerate cannot compare partial-index predicates; this pins them instead."""
    spec = importlib.util.spec_from_file_location(
        "migration_0001", MIGRATIONS_DIR / "versions" / "0001_initial.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.LIVE_PREDICATE == LIVE_PREDICATE
