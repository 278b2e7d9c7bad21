"""What several replicas share through the database: leases (one replica sweeps at a time)
and the memory of signed requests already accepted (a replay to another replica is refused).
Each replica is its own engine (its own connections), as separate processes would be."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.storage.engine import make_engine
from bot.storage.leases import SqlLeases
from bot.storage.seen_requests import PURGE_EVERY, SqlSeenRequests
from bot.storage.tables import seen_requests
from tests.storage.factories import T0

TTL = timedelta(minutes=2)
REPLICAS = 8


@pytest.fixture
def replicas(database_url: str) -> Iterator[list[Engine]]:
    engines = [make_engine(database_url) for _ in range(REPLICAS)]
    yield engines
    for engine in engines:
        engine.dispose()


def test_a_lease_is_held_by_one_until_released_or_lapsed(replicas: list[Engine]) -> None:
    a, b = SqlLeases(engine=replicas[0]), SqlLeases(engine=replicas[1])
    assert a.take_lease("sweep", holder="a", now=T0, ttl=TTL).holder == "a"
    held = b.take_lease("sweep", holder="b", now=T0 + timedelta(minutes=1), ttl=TTL)
    assert (held.holder, held.expires_at) == ("a", T0 + TTL)
    # the holder extends it; the other still cannot take it
    assert a.take_lease("sweep", holder="a", now=T0 + timedelta(minutes=1), ttl=TTL).holder == "a"
    assert b.take_lease("sweep", holder="b", now=T0 + TTL, ttl=TTL).holder == "a"
    # a holder that died stops extending: the lease lapses and is taken over
    lapsed = T0 + timedelta(minutes=1) + TTL
    assert b.take_lease("sweep", holder="b", now=lapsed, ttl=TTL).holder == "b"
    a.release_lease("sweep", holder="a")  # too late: not a's any more, left alone
    assert a.take_lease("sweep", holder="a", now=lapsed, ttl=TTL).holder == "b"
    b.release_lease("sweep", holder="b")
    assert a.take_lease("sweep", holder="a", now=lapsed, ttl=TTL).holder == "a"


def test_of_replicas_taking_a_free_lease_at_once_exactly_one_gets_it(
    replicas: list[Engine],
) -> None:
    barrier = threading.Barrier(REPLICAS)

    def take(index: int) -> str:
        leases = SqlLeases(engine=replicas[index])
        barrier.wait(30)
        return leases.take_lease("sweep", holder=f"r{index}", now=T0, ttl=TTL).holder

    with ThreadPoolExecutor(REPLICAS) as pool:
        holders = list(pool.map(take, range(REPLICAS)))
    assert len(set(holders)) == 1, holders  # every replica sees the same winner
    assert holders.count(holders[0]) == REPLICAS


def test_a_request_seen_by_one_replica_is_a_replay_on_every_other(
    replicas: list[Engine],
) -> None:
    barrier = threading.Barrier(REPLICAS)

    def see(index: int) -> bool:
        memory = SqlSeenRequests(engine=replicas[index])
        barrier.wait(30)
        return seen(memory, "d" * 64, now=T0)

    with ThreadPoolExecutor(REPLICAS) as pool:
        firsts = list(pool.map(see, range(REPLICAS)))
    assert firsts.count(True) == 1
    another = SqlSeenRequests(engine=replicas[0])
    assert seen(another, "e" * 64, now=T0)


def test_digests_are_forgotten_once_their_window_passed(replicas: list[Engine]) -> None:
    memory = SqlSeenRequests(engine=replicas[0])
    assert seen(memory, "a" * 64, now=T0)
    assert seen(memory, "b" * 64, now=T0, window=timedelta(minutes=9))
    later = T0 + timedelta(minutes=6) + PURGE_EVERY
    assert seen(memory, "c" * 64, now=later)
    with replicas[0].connect() as connection:
        kept = connection.execute(sa.select(seen_requests.c.digest)).scalars().all()
    assert sorted(kept) == ["b" * 64, "c" * 64]


def test_of_a_burst_of_sightings_each_digest_is_new_exactly_once(replicas: list[Engine]) -> None:
    """Sightings that arrive together are written as one group: a digest repeated inside the
    group, or already remembered, is a replay all the same."""
    memory = SqlSeenRequests(engine=replicas[0])
    assert seen(memory, "0" * 64, now=T0)
    digests = [f"{i % 20:064d}" for i in range(60)]  # 20 digests, three times each
    answers = [memory.first_sight(d, expires_at=T0 + TTL, now=T0) for d in digests]
    firsts = [d for d, answer in zip(digests, answers, strict=True) if answer.result(30)]
    assert sorted(firsts) == sorted(set(digests) - {"0" * 64})


def test_a_guard_that_cannot_reach_its_database_answers_with_the_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")  # never migrated: no table
    try:
        answers = [
            SqlSeenRequests(engine=engine).first_sight(d * 64, expires_at=T0 + TTL, now=T0)
            for d in "ab"
        ]
        for answer in answers:
            with pytest.raises(sa.exc.OperationalError):
                answer.result(30)
    finally:
        engine.dispose()


def seen(
    memory: SqlSeenRequests, digest: str, *, now: datetime, window: timedelta = timedelta(minutes=5)
) -> bool:
    """``memory``'s answer for ``digest`` seen at ``now``, remembered for ``window``."""
    return memory.first_sight(digest, expires_at=now + window, now=now).result(30)
