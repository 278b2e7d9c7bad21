"""``SqlStore`` is a ``ContractorStore``: checked by mypy (the annotation) and at run time."""

from __future__ import annotations

import inspect

from bot.core.interfaces import ContractorStore
from bot.storage.repository import SqlStore


def test_sql_store_implements_every_protocol_method(store: SqlStore) -> None:
    typed: ContractorStore = store  # mypy fails here if a signature drifts
    for name, member in inspect.getmembers(ContractorStore, inspect.isfunction):
        if name.startswith("_"):
            continue
        implementation = getattr(typed, name)
        assert inspect.signature(implementation) == inspect.signature(member.__get__(typed)), name
