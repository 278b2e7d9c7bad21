"""The periodic jobs inside ``credbot serve`` (the sweep, the audit anchor): they start and stop
with the server, and work."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from starlette.testclient import TestClient

from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.models import Contractor
from bot.core.scheduler import PeriodicAnchor, PeriodicSweep
from bot.core.states import State
from bot.core.sweep import SweepOptions
from bot.storage.leases import SqlLeases
from bot.web.app import build_web_app
from tests.support.notifier import RecordingNotifier
from tests.support.tamper import grow, remove_newest


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


def test_the_anchor_job_signs_what_was_written_while_the_server_runs(
    anchored_core: Core, notifier: RecordingNotifier
) -> None:
    job = PeriodicAnchor(core=anchored_core, interval=timedelta(seconds=0.2))
    app = build_web_app(core=anchored_core, https=False, background=[job])
    with TestClient(app):
        newest = grow(anchored_core, 3)
        assert wait_for(lambda: [a.seq for a in notifier.anchors][-1:] == [newest])
    assert not job.running


def test_the_anchor_job_signs_the_last_changes_at_shutdown(
    anchored_core: Core, notifier: RecordingNotifier
) -> None:
    job = PeriodicAnchor(core=anchored_core, interval=timedelta(hours=1))
    app = build_web_app(core=anchored_core, https=False, background=[job])
    with TestClient(app):
        newest = grow(anchored_core, 2)
        assert notifier.anchors == [], "no tick yet"
    assert [a.seq for a in notifier.anchors] == [newest]


def test_the_anchor_job_alerts_once_about_a_truncated_trail(
    anchored_core: Core, notifier: RecordingNotifier, database_url: str
) -> None:
    job = PeriodicAnchor(core=anchored_core, interval=timedelta(hours=1))
    grow(anchored_core, 5)
    job.run_once()
    remove_newest(database_url, 2)
    for _ in range(3):
        job.run_once()
        grow(anchored_core, 1)
    assert len(notifier.alerts) == 1
    assert (
        "the newest 2 events are missing: anchor at seq 5, database ends at 3"
        in (notifier.alerts[0])
    )
    assert [a.seq for a in notifier.anchors] == [5], "nothing signed over the gap"
