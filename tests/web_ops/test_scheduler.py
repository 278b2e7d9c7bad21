"""The periodic sweep inside ``credbot serve``: starts and stops with the server, and works."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from starlette.testclient import TestClient

from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.models import Contractor
from bot.core.states import State
from bot.core.sweep import SweepOptions
from bot.scheduler import PeriodicSweep
from bot.storage.leases import SqlLeases
from bot.web.app import build_web_app


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_scheduled_sweep_runs_while_the_server_runs(
    core: Core,
    issued: Callable[[], tuple[Contractor, str]],
    clock: FrozenClock,
    leases: SqlLeases,
) -> None:
    contractor, _ = issued()
    clock.advance(timedelta(hours=2))  # the link has expired unused
    job = PeriodicSweep(
        core=core,
        options=SweepOptions(worker="scheduled"),
        interval=timedelta(seconds=0.2),
        leases=leases,
    )
    app = build_web_app(core=core, https=False, background=[job])
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert wait_for(lambda: core.store.get_contractor(contractor.id).state is State.EXPIRED)
    assert not job.running, "stopping the server stops the sweep"
