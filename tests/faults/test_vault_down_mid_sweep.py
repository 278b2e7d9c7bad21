"""Vault sealed while a sweep works through several due contractors.

The promise under test: nothing is marked ``revoked`` before Vault proved the access gone, the
contractors the outage interrupted stay ``revoking`` (reported pending), and the next sweep,
once Vault is back, finishes every one of them.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.interfaces import VaultBackend
from bot.core.states import State
from bot.core.stores import Store
from bot.core.sweep import SweepOptions, sweep
from tests.faults.support import (
    Holder,
    access_survives,
    active_holder,
    assert_no_revoked_contractor_has_access,
    state_of,
)
from tests.support.core import make_core
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer, accounts_for
from vault.models import RevocationProof

CONTRACTORS = 5


class SealAfterFirstRevocation:
    """The bot's ``VaultAccounts``, except that Vault is sealed as soon as the first
    revocation of the run has finished (and before the sweep records it), as an outage that
    begins mid-sweep."""

    def __init__(self, inner: VaultBackend, server: OpenBaoServer) -> None:
        self._inner = inner
        self._server = server
        self._lock = threading.Lock()
        self.sealed = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def revoke_account(self, *, username: str, legacy_totp_key: bool = False) -> RevocationProof:
        proof = self._inner.revoke_account(username=username, legacy_totp_key=legacy_totp_key)
        with self._lock:
            if not self.sealed:
                self._server.seal()
                self.sealed = True
        return proof


@pytest.mark.parametrize("workers", [1, 4])
def test_vault_sealed_mid_sweep_then_next_run_finishes(
    throwaway_openbao: OpenBaoServer,
    store: Store,
    clock: FrozenClock,
    notifier: RecordingNotifier,
    workers: int,
) -> None:
    addr = throwaway_openbao.addr
    accounts = accounts_for(throwaway_openbao)
    setup_core = make_core(store, accounts, clock, notifier)
    holders: list[Holder] = [active_holder(setup_core, addr) for _ in range(CONTRACTORS)]
    clock.advance(timedelta(days=91))  # every contract has ended

    outage = SealAfterFirstRevocation(accounts, throwaway_openbao)
    core: Core = make_core(store, outage, clock, notifier)  # type: ignore[arg-type]
    options = SweepOptions(worker="fault-sweep", workers=workers, force=True)

    first = sweep(core, options)

    assert outage.sealed
    assert not first.all_done
    assert any("could not list Vault users" in problem for problem in first.problems)
    by_outcome = {item.contractor_id: item.outcome for item in first.items}
    assert sorted(by_outcome) == sorted(h.contractor.id for h in holders)
    done = {cid for cid, outcome in by_outcome.items() if outcome == "done"}
    pending = {cid for cid, outcome in by_outcome.items() if outcome == "pending"}
    assert done | pending == set(by_outcome)
    assert done and pending
    assert first.vault_unreachable  # `credbot sweep` exits 4: Vault, not the work, is the cause
    assert all(item.vault_unreachable for item in first.items if item.outcome == "pending")
    if workers == 1:
        assert len(done) == 1  # the outage began after the first revocation
    for holder in holders:
        expected = State.REVOKED if holder.contractor.id in done else State.REVOKING
        assert state_of(core, holder) is expected
    revoked_events = {
        e.entry.contractor_id for e in store.audit_events() if e.entry.action == "revoked"
    }
    assert revoked_events == done

    throwaway_openbao.unseal()
    # Vault is back: whatever the first run marked revoked is really gone; the rest may
    # still work (their revocation was interrupted), which is why they are still "revoking".
    assert_no_revoked_contractor_has_access(core, holders, addr)
    if workers == 1:  # Vault refused their revocation at its first call: nothing happened
        assert all(access_survives(h, addr) for h in holders if h.contractor.id in pending)

    second = sweep(core, options)

    assert second.all_done, second.as_json()
    assert {item.contractor_id: (item.action, item.outcome) for item in second.items} == {
        cid: ("finish_revocation", "done") for cid in pending
    }
    for holder in holders:
        assert state_of(core, holder) is State.REVOKED
        assert not access_survives(holder, addr)
    assert_no_revoked_contractor_has_access(core, holders, addr)
    assert not set(accounts.iter_accounts()) & {h.username for h in holders}
