"""The store contract: every test here runs against ``SqlStore`` and ``SqlLeases`` on SQLite
and PostgreSQL, and against the in-memory ``MemoryStore`` and ``MemoryLeases`` of the fast
layer (``tests/support/memory_store.py``), so the fakes cannot drift from the real backend
(STYLE habit 7). Tests here may use only the protocols of ``bot.core.stores`` and
``bot.core.interfaces``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.core.interfaces import Leases
from bot.core.stores import Store
from bot.storage.engine import make_engine
from bot.storage.leases import SqlLeases
from bot.storage.store import SqlStore
from tests.support.memory_store import MemoryLeases, MemoryStore
from tests.support.postgres import sqlite_copy


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine | None]:
    """The engine of a fresh migrated database, or ``None`` for the in-memory backend."""
    if request.param == "memory":
        yield None
        return
    if request.param == "sqlite":
        url = sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        url = request.getfixturevalue("postgres_database_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(backend_engine: Engine | None) -> Store:
    """A fresh, empty store: ``MemoryStore`` or ``SqlStore``."""
    return MemoryStore() if backend_engine is None else SqlStore(engine=backend_engine)


@pytest.fixture
def leases(backend_engine: Engine | None) -> Leases:
    """Fresh leases: ``MemoryLeases`` or ``SqlLeases``."""
    return MemoryLeases() if backend_engine is None else SqlLeases(engine=backend_engine)
