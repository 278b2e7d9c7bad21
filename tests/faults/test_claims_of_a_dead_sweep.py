"""A sweep killed mid-revocation leaves a contractor ``revoking`` under its claim. Until the
claim's lease lapses no other sweep may touch that contractor, but neither may it report
"all done" (exit 0): the contractor may still hold access, and cron monitoring reads the exit
code."""

from __future__ import annotations

from datetime import timedelta

from bot.core.changes import Change
from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.states import State
from bot.core.sweep import SweepOptions, sweep
from tests.faults.support import access_survives, active_holder, state_of
from tests.support.openbao import OpenBaoServer

LEASE = timedelta(minutes=10)


def test_revoking_under_a_dead_sweeps_claim_is_not_all_done(
    core: Core, clock: FrozenClock, openbao: OpenBaoServer
) -> None:
    holder = active_holder(core, openbao.addr)
    clock.advance(timedelta(days=91))
    # What a sweep killed right after writing the intent leaves behind:
    assert core.store.claim_for_sweep(
        holder.contractor.id, worker="dead-sweep", now=clock.now(), lease=LEASE
    )
    current = core.store.get_contractor(holder.contractor.id)
    core.apply(Change(current, State.REVOKING, actor="dead-sweep", action="revocation_started"))

    blocked = sweep(core, SweepOptions(worker="rerun"))

    assert blocked.items == []  # the claim is respected
    assert not blocked.all_done
    assert any("another sweep" in problem for problem in blocked.problems)
    assert state_of(core, holder) is State.REVOKING

    clock.advance(LEASE + timedelta(seconds=1))
    finished = sweep(core, SweepOptions(worker="rerun"))

    assert finished.all_done, finished.as_json()
    assert [(i.action, i.outcome) for i in finished.items] == [("finish_revocation", "done")]
    assert state_of(core, holder) is State.REVOKED
    assert not access_survives(holder, openbao.addr)
