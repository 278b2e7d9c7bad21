"""Vault accounts: a username is never reused (the primary key refuses it; the contract of
accounts and links is in ``tests/storage/contract/test_accounts_links.py``)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.exc import IntegrityError

from bot.core.models import Contractor
from bot.storage.store import SqlStore
from tests.storage import factories
from tests.storage.factories import T0


@pytest.fixture
def contractor(store: SqlStore) -> Contractor:
    contractor = factories.contractor()
    return store.add_contractor(contractor, event=factories.entry())


def test_username_is_never_reused(store: SqlStore, contractor: Contractor) -> None:
    account = factories.account(contractor.id)
    store.add_account(account)
    store.mark_account_revoked(account.username, at=T0, event=factories.entry())
    with pytest.raises(IntegrityError):
        store.add_account(replace(account, revoked_at=None))
