"""Two replicas of the app on one database (PostgreSQL and a shared SQLite file), each with its
own connections, as ``deploy/compose.yaml`` runs them: what one replica has seen or is doing,
the other knows."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from bot import wiring
from bot.core.interfaces import VaultBackend
from bot.core.scheduler import PeriodicSweep
from bot.core.sweep import SweepOptions
from bot.dev.slack_requests import FORM, command_body, signed_headers
from bot.dev.slack_standin import SlackStandIn
from bot.slack.directory import SlackDirectory
from bot.storage.engine import make_engine
from bot.storage.leases import SqlLeases
from bot.storage.seen_requests import SqlSeenRequests
from bot.storage.store import SqlStore
from tests.support.slack import MANAGER, SECRET, SlackWorld, make_world, slack_settings

pytestmark = pytest.mark.both_databases  # replicas share the database: both backends matter


@contextmanager
def replica(url: str, vault: VaultBackend, standin: SlackStandIn) -> Iterator[SlackWorld]:
    """One replica: its own engine (connection pool), store, replay memory and web server."""
    engine = make_engine(url)
    worlds = make_world(
        SqlStore(engine=engine),
        vault,
        standin,
        SqlSeenRequests(engine=engine),
        leases=SqlLeases(engine=engine),
    )
    try:
        yield next(worlds)
    finally:
        worlds.close()
        engine.dispose()


@pytest.fixture
def replicas(
    database_url: str, vault_accounts: VaultBackend, standin: SlackStandIn
) -> Iterator[tuple[SlackWorld, SlackWorld]]:
    with ExitStack() as stack:
        first = stack.enter_context(replica(database_url, vault_accounts, standin))
        second = stack.enter_context(replica(database_url, vault_accounts, standin))
        yield first, second


def test_a_signed_request_replayed_to_the_other_replica_is_refused(
    replicas: tuple[SlackWorld, SlackWorld], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = replicas
    body = command_body("help", user_id=MANAGER, response_url=first.standin.response_url())
    headers = signed_headers(SECRET, body, content_type=FORM)
    assert first.slack.post_raw(body, headers=headers).status == 200
    caplog.set_level(logging.INFO)
    assert second.slack.post_raw(body, headers=headers).status == 401
    assert "replayed request" in caplog.text
    later = int(headers["X-Slack-Request-Timestamp"]) + 1
    fresh = signed_headers(SECRET, body, content_type=FORM, timestamp=later)
    assert second.slack.post_raw(body, headers=fresh).status == 200  # a new request is fine


class HeldDirectory:
    """Slack's directory, held inside ``users.list`` until the test lets it go, so the sweep
    holding the lease is surely still running when the other replica's turn comes."""

    def __init__(self, inner: SlackDirectory) -> None:
        self._inner = inner
        self.inside = threading.Event()
        self.go = threading.Event()

    def deactivated_user_ids(self) -> set[str]:
        self.inside.set()
        assert self.go.wait(30)
        return self._inner.deactivated_user_ids()

    def is_deactivated(self, slack_user_id: str) -> bool:
        return self._inner.is_deactivated(slack_user_id)


def test_of_two_scheduled_sweeps_at_once_one_runs_and_the_other_skips_quietly(
    replicas: tuple[SlackWorld, SlackWorld],
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engines = [make_engine(database_url) for _ in replicas]
    try:
        client = wiring.build_slack_client(slack_settings(replicas[0].standin))
        directory = SlackDirectory(client=client)
        held = HeldDirectory(directory)
        jobs = [
            PeriodicSweep(
                core=world.core,
                options=SweepOptions(worker=f"replica-{n}"),
                interval=timedelta(minutes=15),  # run by hand below
                leases=SqlLeases(engine=engine),
                directory=held if n == 0 else directory,
            )
            for n, (world, engine) in enumerate(zip(replicas, engines, strict=True))
        ]
        outcome: dict[str, object] = {}
        sweeping = threading.Thread(target=lambda: outcome.update(first=jobs[0].run_once()))
        sweeping.start()
        assert held.inside.wait(30)
        caplog.set_level(logging.DEBUG, logger="credbot.scheduler")
        assert jobs[1].run_once() is None  # skipped: replica-0 holds the sweep
        held.go.set()
        sweeping.join(30)
        assert outcome["first"] is not None  # replica-0 swept
        assert len(replicas[0].standin.calls("users.list")) == 1  # paged once, not per replica
        skipped = [r for r in caplog.records if r.name == "credbot.scheduler"]
        assert [r.levelno for r in skipped] == [logging.DEBUG, logging.INFO]
        assert "replica-0" in skipped[0].getMessage()
        # once replica-0 is done, the next turn is anyone's
        assert jobs[1].run_once() is not None
    finally:
        for engine in engines:
            engine.dispose()


def test_a_request_whose_replay_cannot_be_checked_is_refused_and_does_nothing(
    store: SqlStore,
    vault_accounts: VaultBackend,
    standin: SlackStandIn,
    leases: SqlLeases,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The shared memory is a database that cannot be opened: fail closed (503, Slack retries
    events), never let an unchecked request through."""
    unreachable = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'seen.sqlite3'}")
    worlds = make_world(
        store, vault_accounts, standin, SqlSeenRequests(engine=unreachable), leases=leases
    )
    try:
        world = next(worlds)
        body = command_body("help", user_id=MANAGER, response_url=standin.response_url())
        reply = world.slack.post_raw(body, headers=signed_headers(SECRET, body, content_type=FORM))
        assert reply.status == 503
        assert "replays cannot be checked" in caplog.text
        time.sleep(0.3)
        assert standin.calls("respond") == []
    finally:
        worlds.close()
        unreachable.dispose()
