"""``SqlStore`` is a ``Store``, and so every small store protocol of ``bot.core.stores``:
checked by mypy (the annotations) and at run time; so is the fast layer's ``MemoryStore``
(this module runs on every backend of the contract)."""

from __future__ import annotations

import inspect

import pytest

from bot.core import stores
from bot.core.stores import Store

CONCERNS = [
    stores.ContractorRecords,
    stores.AccountRecords,
    stores.LinkRecords,
    stores.SweepClaims,
    stores.DepartureInbox,
    stores.IdentityRecords,
    stores.Erasure,
    stores.AuditTrail,
]


@pytest.mark.parametrize("protocol", [*CONCERNS, Store], ids=lambda p: p.__name__)
def test_store_implements_every_protocol_method(store: Store, protocol: type) -> None:
    typed: Store = store  # mypy fails here if a signature drifts
    for name, member in inspect.getmembers(protocol, inspect.isfunction):
        if name.startswith("_"):
            continue
        implementation = getattr(typed, name)
        assert inspect.signature(implementation) == inspect.signature(member.__get__(typed)), name
