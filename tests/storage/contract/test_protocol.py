"""``SqlStore`` is a ``ContractorStore``: checked by mypy (the annotation) and at run time; so
is the fast layer's ``MemoryStore`` (this module runs on every backend of the contract)."""

from __future__ import annotations

import inspect

from bot.core.interfaces import ContractorStore


def test_sql_store_implements_every_protocol_method(store: ContractorStore) -> None:
    typed: ContractorStore = store  # mypy fails here if a signature drifts
    for name, member in inspect.getmembers(ContractorStore, inspect.isfunction):
        if name.startswith("_"):
            continue
        implementation = getattr(typed, name)
        assert inspect.signature(implementation) == inspect.signature(member.__get__(typed)), name
