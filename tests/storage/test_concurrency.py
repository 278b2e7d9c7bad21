"""Concurrent callers on separate connections (threads) and separate processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.core.audit import verify_chain
from bot.core.errors import AuditWriteConflict, DuplicateContractor
from bot.core.models import AuditEvent, LinkRecord
from bot.core.states import State
from bot.storage.audit_log import append_event
from bot.storage.engine import make_engine
from bot.storage.store import SqlStore
from tests.storage import factories, workers
from tests.storage.factories import T0
from tests.support.links import stored_link

THREADS = 50


def test_exactly_one_of_50_threads_claims_a_link(database_url: str) -> None:
    # Pool as large as the crowd: every thread claims on its own connection at the same moment.
    engine = make_engine(database_url, pool_size=THREADS, max_overflow=0)
    try:
        store = SqlStore(engine=engine)
        contractor = store.add_contractor(factories.contractor(), event=factories.entry())
        link = factories.link(contractor.id)
        store.add_link(link)
        barrier = threading.Barrier(THREADS)

        def claim(_: int) -> bool:
            barrier.wait(30)
            return store.claim_link(
                link.link_hash, now=T0 + timedelta(minutes=1), proof_digest="p" * 64, max_failures=5
            )

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(claim, range(THREADS)))
        assert results.count(True) == 1
        connections = engine.pool
        assert isinstance(connections, sa.pool.QueuePool)
        assert connections.checkedin() > 1  # really several connections
    finally:
        engine.dispose()


def test_concurrent_failed_proofs_lose_no_count(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=THREADS, max_overflow=0)
    try:
        store = SqlStore(engine=engine)
        contractor = factories.contractor(state=State.ISSUED, username="ctr-1", approved_by="U1")
        store.add_contractor(contractor, event=factories.entry())
        barrier = threading.Barrier(THREADS)

        def fail(_: int) -> int:
            barrier.wait(30)
            return store.count_failed_proof(contractor.id, event=factories.entry())

        with ThreadPoolExecutor(THREADS) as pool:
            counts = sorted(pool.map(fail, range(THREADS)))
        assert counts == list(range(1, THREADS + 1))
        assert store.get_contractor(contractor.id).failed_totp_attempts == THREADS
    finally:
        engine.dispose()


def test_a_right_code_never_claims_a_link_that_wrong_codes_locked(database_url: str) -> None:
    """The last wrong code before the limit and a right one race, many times: either the right
    one claims (and the wrong one counts nothing) or the wrong one locks (and nobody claims)."""
    engine = make_engine(database_url, pool_size=4, max_overflow=0)
    try:
        store = SqlStore(engine=engine)
        contractor = store.add_contractor(factories.contractor(), event=factories.entry())
        for _ in range(20):
            link = factories.link(contractor.id, failed_confirmations=4)
            store.add_link(link)
            claimed, counted = race_right_and_wrong_code(store, link)
            stored = stored_link(store, link.link_hash)
            assert stored is not None
            if claimed:
                assert counted is None and stored.invalidated_at is None
            else:
                assert counted == 5 and stored.invalidated_at is not None
                assert stored.claimed_at is None
    finally:
        engine.dispose()


def race_right_and_wrong_code(store: SqlStore, link: LinkRecord) -> tuple[bool, int | None]:
    """Claim ``link`` and count a wrong code on it at the same moment; both outcomes."""
    barrier = threading.Barrier(2)

    def claim() -> bool:
        barrier.wait(30)
        return store.claim_link(link.link_hash, now=T0, proof_digest="p" * 64, max_failures=5)

    def wrong() -> int | None:
        barrier.wait(30)
        return store.record_failed_confirmation(link.link_hash, limit=5, now=T0)

    with ThreadPoolExecutor(2) as pool:
        claimed, counted = pool.submit(claim), pool.submit(wrong)
        return claimed.result(), counted.result()


def test_concurrent_requests_for_one_person_leave_one_live_record(
    database_url: str,
) -> None:
    engine = make_engine(database_url, pool_size=10, max_overflow=0)
    try:
        store = SqlStore(engine=engine)
        barrier = threading.Barrier(10)

        def request(_: int) -> str:
            barrier.wait(30)
            try:
                store.add_contractor(
                    factories.contractor(slack_user_id="USAME"), event=factories.entry()
                )
            except DuplicateContractor:
                return "duplicate"
            return "added"

        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(request, range(10)))
        assert results.count("added") == 1
        assert len(store.list_contractors()) == 1
        assert [e.seq for e in store.audit_events()] == [1]
    finally:
        engine.dispose()


def run_two_appenders(url: str, *, serialize: bool, per_process: int = 100) -> int:
    """Two spawned processes append ``per_process`` events each; return their retry count."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        start = manager.Barrier(2)
        pending = [
            pool.apply_async(workers.append_many, (url, worker, per_process, start, serialize))
            for worker in (1, 2)
        ]
        return sum(result.get(timeout=120) for result in pending)


@pytest.mark.server  # starts two Python processes
def test_two_processes_appending_keep_the_chain_intact(database_url: str, store: SqlStore) -> None:
    retries = run_two_appenders(database_url, serialize=True)
    assert retries == 0  # SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock
    events = list(store.audit_events())
    assert [event.seq for event in events] == list(range(1, 201))
    assert verify_chain(events) == []
    assert {event.entry.actor for event in events} == {"worker-1", "worker-2"}


@pytest.mark.postgres
def test_retry_alone_keeps_the_chain_intact(postgres_database_url: str) -> None:
    """Without the advisory lock, appenders collide on ``seq`` and retry their transaction."""
    retries = run_two_appenders(postgres_database_url, serialize=False)
    print(f"retried {retries} transactions")
    check = make_engine(postgres_database_url)
    try:
        events = list(SqlStore(engine=check).audit_events())
    finally:
        check.dispose()
    assert [event.seq for event in events] == list(range(1, 201))
    assert verify_chain(events) == []


def append_behind_another(
    url: str, store: SqlStore, *, serialize: bool
) -> AuditEvent | BaseException:
    """``store.append_audit`` while another transaction has appended ``seq`` 1 and not yet
    committed; the other one commits once the store is seen waiting on a lock.

    Without the advisory lock (``serialize=False``, and a store built so) the store reads an
    empty tail, tries ``seq`` 1 too and blocks on the unique index: its insert fails exactly
    once. With it, the store waits for the lock instead, and then reads the tail again.
    """
    other = make_engine(url, poolclass=sa.NullPool)
    outcome: list[AuditEvent | BaseException] = []
    try:
        with other.connect() as blocker, other.connect() as observer:
            blocker.begin()
            append_event(blocker, factories.entry(actor="other"), serialize=serialize)

            def append() -> None:
                try:
                    outcome.append(store.append_audit(factories.entry(actor="store")))
                except BaseException as error:  # handed to the test thread
                    outcome.append(error)

            thread = threading.Thread(target=append)
            thread.start()
            deadline = time.monotonic() + 10
            while not _someone_waits_on_a_lock(observer):
                assert time.monotonic() < deadline, "the store never blocked on the index"
                time.sleep(0.01)
            blocker.commit()
            thread.join(10)
    finally:
        other.dispose()
    return outcome[0]


def _someone_waits_on_a_lock(connection: sa.Connection) -> bool:
    waiting = connection.execute(
        sa.text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    ).scalar_one()
    connection.rollback()
    return bool(waiting)


@pytest.mark.postgres
def test_seq_collision_retries_the_transaction(postgres_database_url: str) -> None:
    engine = make_engine(postgres_database_url)
    try:
        store = SqlStore(engine=engine, serialize_audit=False)
        event = append_behind_another(postgres_database_url, store, serialize=False)
        assert isinstance(event, AuditEvent)
        assert (event.seq, event.entry.actor) == (2, "store")
        assert store.audit_retries == 1
        assert verify_chain(store.audit_events()) == []
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_an_appender_that_waited_for_the_lock_chains_onto_what_was_committed_meanwhile(
    postgres_database_url: str,
) -> None:
    """The read of the chain's end comes after the lock (``credbot_audit_chain_end``): a read
    from the snapshot taken before the wait would chain onto an empty log, collide on ``seq``
    1 and retry."""
    engine = make_engine(postgres_database_url)
    try:
        store = SqlStore(engine=engine)
        event = append_behind_another(postgres_database_url, store, serialize=True)
        assert isinstance(event, AuditEvent)
        assert (event.seq, event.entry.actor) == (2, "store")
        assert store.audit_retries == 0
        assert verify_chain(store.audit_events()) == []
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_seq_collisions_beyond_the_bound_raise(postgres_database_url: str) -> None:
    engine = make_engine(postgres_database_url)
    try:
        store = SqlStore(engine=engine, serialize_audit=False, max_attempts=1)
        assert isinstance(
            append_behind_another(postgres_database_url, store, serialize=False), AuditWriteConflict
        )
        assert [e.entry.actor for e in store.audit_events()] == ["other"]
    finally:
        engine.dispose()
