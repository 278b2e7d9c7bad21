"""Code run in child processes (importable, as ``spawn`` requires)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.storage.engine import make_engine
from bot.storage.health import check_database
from bot.storage.store import SqlStore
from tests.storage import factories
from tests.storage.factories import T0


def append_many(url: str, worker: int, count: int, start: Any, serialize: bool) -> int:
    """Append ``count`` audit events once every worker reached ``start`` (a manager
    ``Barrier``); return how many transactions had to be retried."""
    engine = make_engine(url)
    store = SqlStore(engine=engine, serialize_audit=serialize, max_attempts=50)
    try:
        check_database(engine)  # connect before the race starts
        start.wait(60)
        for number in range(count):
            store.append_audit(
                factories.entry(
                    at=T0 + timedelta(milliseconds=number),
                    actor=f"worker-{worker}",
                    reason=f"{worker}:{number}",
                )
            )
        return store.audit_retries
    finally:
        engine.dispose()
