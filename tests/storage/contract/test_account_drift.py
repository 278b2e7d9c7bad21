"""Vault's usernames against the database's records, batch by batch (``vault_drift``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.core.models import AccountDrift
from bot.core.states import State
from bot.core.stores import Store
from bot.storage import drift
from tests.storage import factories
from tests.storage.factories import T0


def test_orphans_and_missing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drift, "BATCH", 2)  # several batches from a handful of names
    owner = factories.contractor(state=State.ACTIVE, username="ctr-a.b")
    store.add_contractor(owner, event=factories.entry())
    for name in ("ctr-a.b", "ctr-a-b", "ctr-gone"):
        store.add_account(factories.account(owner.id, username=name))
    store.mark_account_revoked("ctr-a-b", at=T0, event=factories.entry())
    unlisted = factories.contractor(state=State.ISSUED, username="ctr-zz")
    store.add_contractor(unlisted, event=factories.entry())
    store.add_contractor(
        factories.contractor(state=State.REVOKED, username="ctr-old"), event=factories.entry()
    )
    in_vault = ["ctr-a-b", "ctr-a.b", "ctr-a_b", "ctr-x", "zz-foreign"]

    found = store.vault_drift(iter(in_vault))

    # Sorted in byte order ("-" < "." < "_"), whatever the database's collation.
    assert found == AccountDrift(orphans=("ctr-a-b", "ctr-a_b", "ctr-x", "zz-foreign"),
                                 missing=("ctr-zz",))  # fmt: skip
    assert store.vault_drift([]) == AccountDrift(orphans=(), missing=("ctr-a.b", "ctr-zz"))


def test_a_listing_that_fails_half_way_propagates_and_leaves_nothing(
    store: Store,
) -> None:
    def failing() -> Iterator[str]:
        yield "ctr-a"
        raise ConnectionError("Vault went away")

    for _ in range(3):  # the temporary table never outlives its transaction
        with pytest.raises(ConnectionError):
            store.vault_drift(failing())
    assert store.vault_drift(["ctr-a"]) == AccountDrift(orphans=("ctr-a",), missing=())


def test_stale_accounts_are_unused_and_old(store: Store) -> None:
    owner = factories.contractor(state=State.ACTIVE, username="ctr-current")
    store.add_contractor(owner, event=factories.entry())
    replaced = factories.account(owner.id, username="ctr-replaced")
    store.add_account(factories.account(owner.id, username="ctr-current"))
    store.add_account(replaced)
    store.add_account(
        factories.account(owner.id, username="ctr-fresh", created_at=T0 + timedelta(hours=1))
    )

    assert store.stale_accounts(stale_before=T0 + timedelta(minutes=1)) == [replaced]
