"""PostgreSQL restarted under a running bot: the same ``SqlStore`` and ``Core`` keep working.

``pg_ctl restart -m fast`` cuts every pooled connection; the engine must replace them at
checkout (``bot.storage.closed_connections``) transparently, so the first sweep after the
restart succeeds without any retry by the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.core import revocation
from bot.core.audit import verify_chain
from bot.core.clock import FrozenClock
from bot.core.states import State
from bot.core.sweep import SweepOptions, sweep
from bot.storage.engine import make_engine
from bot.storage.store import SqlStore
from tests.faults.support import access_survives, active_holder, state_of
from tests.support.core import make_core
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from tests.support.postgres import PostgresServer
from vault.accounts import VaultAccounts

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(postgres_database_url: str) -> Iterator[SqlStore]:
    engine = make_engine(postgres_database_url)
    yield SqlStore(engine=engine)
    engine.dispose()


def test_sweep_after_a_database_restart(
    postgres_server: PostgresServer,
    pg_store: SqlStore,
    vault_accounts: VaultAccounts,
    openbao: OpenBaoServer,
    clock: FrozenClock,
    notifier: RecordingNotifier,
) -> None:
    core = make_core(pg_store, vault_accounts, clock, notifier)
    holders = [active_holder(core, openbao.addr) for _ in range(3)]
    # Fill the pool: a sweep with several workers holds several connections at once.
    warm = sweep(core, SweepOptions(worker="before-restart", workers=4))
    assert warm.items == [] and not warm.problems

    postgres_server.restart()

    clock.advance(timedelta(days=91))
    report = sweep(core, SweepOptions(worker="after-restart", workers=4, force=True))

    assert report.all_done, report.as_json()
    assert sorted(item.contractor_id for item in report.items if item.outcome == "done") == sorted(
        h.contractor.id for h in holders
    )
    for holder in holders:
        assert state_of(core, holder) is State.REVOKED
        assert not access_survives(holder, openbao.addr)
    pg_store.check_health()
    assert verify_chain(pg_store.audit_events()) == []


def test_restart_between_two_writes_of_one_flow(
    postgres_server: PostgresServer,
    pg_store: SqlStore,
    vault_accounts: VaultAccounts,
    openbao: OpenBaoServer,
    clock: FrozenClock,
    notifier: RecordingNotifier,
) -> None:
    """A restart between onboarding steps: the next step and an offboard just work."""
    core = make_core(pg_store, vault_accounts, clock, notifier)
    holder = active_holder(core, openbao.addr)
    postgres_server.restart()
    revoked = revocation.offboard(core, holder.contractor.id, actor="UADMIN", reason="left")
    assert revoked.state is State.REVOKED
    assert not access_survives(holder, openbao.addr)
