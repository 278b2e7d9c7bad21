"""PostgreSQL's pooled connections: those the server ended are replaced at checkout, without a
ping; one read without a transaction leaves the connection transactional for the next writer.

The restart itself is tested in ``test_engine.py`` and ``tests/faults``; here the server ends
one pooled connection (as ``pg_terminate_backend``, an idle timeout or a crashed backend do),
and a pooled connection the server did not end is handed out as it is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.storage.engine import make_engine
from bot.storage.store import SqlStore
from tests.storage import factories

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(postgres_database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_a_connection_the_server_ended_is_replaced_before_the_next_statement(
    engine: sa.Engine, postgres_database_url: str
) -> None:
    store = SqlStore(engine=engine)
    contractor = store.add_contractor(factories.contractor(), event=factories.entry())
    pooled = _backend_pid(engine)
    admin = make_engine(postgres_database_url)
    try:
        with admin.connect() as connection:
            # with a timeout it returns once the backend is gone (its socket closed), not
            # when it was only signalled: a check between the two cannot know yet
            ended = connection.exec_driver_sql(
                f"SELECT pg_terminate_backend({pooled}, 10000)"
            ).scalar()
    finally:
        admin.dispose()
    assert ended

    assert store.get_contractor(contractor.id) == contractor
    assert _backend_pid(engine) != pooled


def test_a_live_pooled_connection_is_handed_out_again(engine: sa.Engine) -> None:
    assert _backend_pid(engine) == _backend_pid(engine)


def test_a_write_after_a_read_without_transaction_is_still_all_or_nothing(
    engine: sa.Engine,
) -> None:
    """``get_contractor`` reads in autocommit; the one pooled connection then carries a write
    that fails half-way, and nothing of it may stay."""
    store = SqlStore(engine=engine)
    contractor = store.add_contractor(factories.contractor(), event=factories.entry())
    assert store.get_contractor(contractor.id) == contractor
    events = len(list(store.audit_events()))

    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_events")
        raise RuntimeError("half-way")

    assert len(list(store.audit_events())) == events
