"""PostgreSQL: the cursor's description, built only when read, says what psycopg's says."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa

from bot.storage.descriptions import LazyDescriptionCursor
from bot.storage.engine import make_engine

pytestmark = pytest.mark.postgres

STATEMENTS = [
    "SELECT 1 AS one, 'x'::text AS two, now() AS three",
    "SELECT",  # rows of no columns: a description, empty
    "SELECT 1 AS one WHERE false",  # no rows, still columns
    "SET search_path TO public",  # no result rows at all
]


@pytest.fixture
def connection(postgres_database_url: str) -> Iterator[psycopg.Connection]:
    engine = make_engine(postgres_database_url)
    try:
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert isinstance(driver, psycopg.Connection)
            yield driver
    finally:
        engine.dispose()


def _described(cursor: psycopg.Cursor, statement: str) -> list[tuple[str, int]] | None:
    cursor.execute(statement)
    description = cursor.description
    return None if description is None else [(c.name, c.type_code) for c in description]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_engines_cursors_describe_a_result_as_psycopg_does(
    connection: psycopg.Connection, statement: str
) -> None:
    lazy = connection.cursor()
    assert isinstance(lazy, LazyDescriptionCursor)
    eager = psycopg.Cursor(connection)
    assert _described(lazy, statement) == _described(eager, statement)
    connection.rollback()


def test_a_statement_run_the_first_time_still_names_its_columns(postgres_database_url: str) -> None:
    """SQLAlchemy reads the description to build a new statement's result metadata."""
    engine = make_engine(postgres_database_url)
    try:
        with engine.connect() as connection:
            result = connection.execute(sa.text("SELECT 1 AS one, 2 AS two"))
            assert list(result.keys()) == ["one", "two"]
            assert result.one()._asdict() == {"one": 1, "two": 2}
    finally:
        engine.dispose()
