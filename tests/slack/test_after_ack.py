"""Work after the ack yields to requests awaiting theirs, but never waits long."""

from __future__ import annotations

import threading
import time

import pytest

from bot.slack.after_ack import AfterAck


def test_work_starts_only_once_no_request_awaits_its_ack() -> None:
    after_ack = AfterAck(max_defer_s=10)
    started = threading.Event()
    with after_ack.acking(), after_ack.acking():
        after_ack.submit(started.set)
        with after_ack.acking():
            pass
        assert not started.wait(0.3)  # two requests still await their acks
    assert started.wait(5)


def test_work_starts_after_the_longest_deferral_even_if_requests_keep_coming() -> None:
    after_ack = AfterAck(max_defer_s=0.2)
    started = threading.Event()
    with after_ack.acking():
        submitted = time.monotonic()
        after_ack.submit(started.set)
        assert started.wait(5)
        assert time.monotonic() - submitted >= 0.2


def test_a_steady_stream_of_requests_delays_work_but_does_not_slow_it_down() -> None:
    """The deferral counts from when the work was handed in: twenty pieces on two threads,
    with the door never quiet, all finish soon after the first deadline, not one deferral
    after another (ten rounds of 0.2 s)."""
    after_ack = AfterAck(threads=2, max_defer_s=0.2)
    finished = threading.Semaphore(0)
    with after_ack.acking():
        submitted = time.monotonic()
        for _ in range(20):
            after_ack.submit(finished.release)
        for _ in range(20):
            assert finished.acquire(timeout=5)
        assert time.monotonic() - submitted < 1.0


def test_work_that_fails_is_logged_and_the_next_runs(caplog: pytest.LogCaptureFixture) -> None:
    after_ack = AfterAck(threads=1)
    done = threading.Event()

    def fails() -> None:
        raise RuntimeError("the Slack API did not answer")

    after_ack.submit(fails)
    after_ack.submit(done.set)
    assert done.wait(5)
    assert "work after the ack failed" in caplog.text
