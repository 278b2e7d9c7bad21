"""Slash-command ack latency: ``credbot serve`` against an idiomatic async Bolt app.

    python -m bench.ack_latency [--concurrency 50] [--rounds 12] [--cold-starts 3] [--json]

Both sides are real processes on loopback, started by this script, and use the same Slack
stand-in (``bot.dev.slack_standin``) for their Web API calls:

- **credbot**: ``python -m bot serve`` on a migrated SQLite file, the bot on its own AppRole
  against a local OpenBao dev server, Slack on. Each request is an inline
  ``/contractor onboard <@U…> country=DE end=… role=reviewer`` for a new contractor; before
  the ack credbot checks the signature at the door, records the request in the shared replay
  guard (the database) and parses the command; after it, ``users.info``, the
  request and its checks with their audit events, and the approval card.
- **anchor** (``bench.async_bolt_anchor``): ``AsyncApp`` + ``AsyncSlackRequestHandler`` on
  Starlette and uvicorn, one worker, acking at once and then calling ``users.info`` and
  ``chat.postMessage``: the best thing a team could run instead of credbot's door.

A round fires ``--concurrency`` signed requests at once (threads released by a barrier) and
times each until its HTTP answer, the ack Slack waits up to 3 s for. Rounds are interleaved
(credbot first in even rounds, the anchor first in odd ones) after a warm-up burst. Each burst
is followed by the side's work after the acks, waited for and timed (``Sides.settle``).

Cold: ``--cold-starts`` times, both sides are started afresh and the first burst after they
answer is timed alone (imports, connection pools, the first database and Vault calls).

Goals (issue 14): warm p50 and p99 of credbot <= 1.2x the anchor's; cold first-burst p99 of
credbot < 300 ms. Exits 0 and prints what it found, with the load average beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench._setup import load_average, progress
from bot.dev.openbao import free_port
from bot.dev.slack_requests import SignedSlack
from bot.dev.slack_standin import Call, SlackStandIn
from tests.support.openbao import OpenBaoServer, start_openbao
from tests.support.serve import Served, serve_env, start_serve
from tests.support.slack import APPROVAL_CHANNEL, MANAGER, SECRET, populate
from vault.setup import initialize

WARM_P50_GOAL = 1.2
WARM_P99_GOAL = 1.2
COLD_P99_GOAL_MS = 300.0
START_TIMEOUT_S = 30.0
QUIET_S = 0.3
LAST_CALL = {"credbot": "respond", "anchor": "chat.postMessage"}
"""Each side's last Slack call for one request: credbot's reply to the manager on the
``response_url`` (the request, its checks and the attestation card come first), the anchor's
message."""
"""A burst's work is over once the stand-in has had no call for this long."""


def _count(calls: list[Call], method: str) -> int:
    return sum(call.method == method for call in calls)


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank percentile ``q`` of ``samples``."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def fire(slack: SignedSlack, texts: list[str], response_url: str) -> list[float]:
    """Send every text at once as ``MANAGER``; return each request's time to its answer (s)."""
    barrier = threading.Barrier(len(texts))
    out: list[float] = [0.0] * len(texts)
    failures: list[str] = []

    def one(i: int) -> None:
        barrier.wait()
        try:
            reply = slack.command(texts[i], user_id=MANAGER, response_url=response_url)
        except OSError as exc:  # a timeout or a refused connection: no figure, a failure
            failures.append(f"no answer: {exc}")
            return
        if reply.status != 200:
            failures.append(f"answer {reply.status}: {reply.text}")
        out[i] = reply.elapsed_s

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return out


class Anchor:
    """``bench.async_bolt_anchor`` in its own process."""

    def __init__(self, standin: SlackStandIn) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.async_bolt_anchor",
                "--port",
                str(self.port),
                "--signing-secret",
                SECRET,
                "--api-url",
                standin.api_url,
                "--channel",
                APPROVAL_CHANNEL,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the anchor app exited: {self.process.communicate()[1]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the anchor app did not answer")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Sides:
    """Both apps running, and the requests each is sent."""

    def __init__(self, env: dict[str, str], standin: SlackStandIn) -> None:
        self.standin = standin
        self.credbot: Served = start_serve(env)
        # credbot logs every request and state change to its stdout, a pipe: read it all the
        # time, or the pipe fills within a few rounds and every log call (the event loop's
        # too) blocks on it.
        self._drain = threading.Thread(target=self._discard_output, daemon=True)
        self._drain.start()
        self.anchor = Anchor(standin)
        self.slack = {
            "credbot": SignedSlack(self.credbot.url, SECRET),
            "anchor": SignedSlack(self.anchor.url, SECRET),
        }
        self._end = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
        self._counter = iter(range(10**9))
        self.drained: dict[str, list[float]] = {"credbot": [], "anchor": []}

    def _discard_output(self) -> None:
        output = self.credbot.process.stdout
        assert output is not None
        for _ in output:
            pass

    def burst(self, side: str, concurrency: int) -> list[float]:
        """One burst of new contractors' onboard commands to ``side``; return once the work
        after the acks is done (see ``settle``)."""
        texts = []
        for _ in range(concurrency):
            user = f"UBENCH{next(self._counter):06d}"
            self.standin.add_user(user, name=user, email=f"{user.lower()}@agency.example")
            texts.append(f"onboard <@{user}> country=DE end={self._end} role=reviewer bench")
        last = LAST_CALL[side]
        before = len(self.standin.calls(last))
        started = time.monotonic()
        acks = fire(self.slack[side], texts, self.standin.response_url())
        self.drained[side].append(self.settle(last, before + concurrency) - started)
        return acks

    def settle(self, last: str, count: int) -> float:
        """Wait until the stand-in has ``count`` calls of ``last`` (the last call of each
        request's work, ``LAST_CALL``) and then no call for ``QUIET_S``; return when the
        count was reached. So every burst meets an app that finished the work of the one
        before, and the time that work took is measured."""
        self.standin.wait_for(lambda calls: _count(calls, last) >= count, timeout=120)
        done = time.monotonic()
        seen = len(self.standin.calls())
        while True:
            time.sleep(QUIET_S)
            now = len(self.standin.calls())
            if now == seen:
                return done
            seen = now

    def stop(self) -> None:
        self.anchor.stop()
        self.credbot.stop()


@contextmanager
def world(workdir: Path) -> Iterator[tuple[dict[str, str], SlackStandIn]]:
    """OpenBao (initialised), the Slack stand-in and credbot's settings."""
    openbao: OpenBaoServer = start_openbao(workdir)
    standin = SlackStandIn().start()
    try:
        populate(standin)
        initialize(openbao.root_client())
        env = serve_env(openbao, standin, workdir)
        env["CREDBOT_IDENTITY_CHECKS"] = "requester_role,slack_account,email_domain,kyc_attestation"
        yield env, standin
    finally:
        standin.stop()
        openbao.stop()


def summary(values: list[float]) -> dict[str, float]:
    """p50, p99 and max in ms."""
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Cold bursts on fresh processes, then interleaved warm rounds on one pair."""
    workdir = Path(tempfile.mkdtemp(prefix="credbot-bench-ack-"))
    cold: dict[str, list[float]] = {"credbot": [], "anchor": []}
    warm: dict[str, list[float]] = {"credbot": [], "anchor": []}
    with world(workdir) as (env, standin):
        for start in range(args.cold_starts):
            sides = Sides(env, standin)
            try:
                order = ["credbot", "anchor"] if start % 2 == 0 else ["anchor", "credbot"]
                for side in order:
                    cold[side] += sides.burst(side, args.concurrency)
            finally:
                sides.stop()
            progress(f"cold start {start + 1}/{args.cold_starts} done")
        sides = Sides(env, standin)
        load_before = load_average()
        try:
            for side in ("credbot", "anchor"):
                sides.burst(side, args.concurrency)
            sides.drained = {"credbot": [], "anchor": []}
            for round_no in range(args.rounds):
                order = ["credbot", "anchor"] if round_no % 2 == 0 else ["anchor", "credbot"]
                for side in order:
                    warm[side] += sides.burst(side, args.concurrency)
                progress(f"warm round {round_no + 1}/{args.rounds} done")
            drained = sides.drained
        finally:
            sides.stop()
    result: dict[str, Any] = {
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "cold_starts": args.cold_starts,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_average(),
        "warm": {side: summary(values) for side, values in warm.items()},
        "cold": {side: summary(values) for side, values in cold.items()},
        "work_done": {side: summary(values) for side, values in drained.items()},
    }
    anchor, credbot = result["warm"]["anchor"], result["warm"]["credbot"]
    result["warm_p50_ratio"] = round(credbot["p50_ms"] / anchor["p50_ms"], 2)
    result["warm_p99_ratio"] = round(credbot["p99_ms"] / anchor["p99_ms"], 2)
    result["goal_met"] = {
        "warm_p50": result["warm_p50_ratio"] <= WARM_P50_GOAL,
        "warm_p99": result["warm_p99_ratio"] <= WARM_P99_GOAL,
        "cold_p99": result["cold"]["credbot"]["p99_ms"] < COLD_P99_GOAL_MS,
    }
    return result


def report(result: dict[str, Any]) -> None:
    """The tables and the verdicts."""
    print(
        f"{result['concurrency']} concurrent signed /contractor onboard requests;"
        f" {result['rounds']} warm rounds, {result['cold_starts']} cold starts;"
        f" {result['cpus']} CPUs, load {result['load_before']} -> {result['load_after']}"
    )
    print(f"{'':<6} {'side':<8} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for phase in ("warm", "cold"):
        for side in ("credbot", "anchor"):
            r = result[phase][side]
            print(
                f"{phase:<6} {side:<8} {r['n']:>5} {r['p50_ms']:>8} {r['p99_ms']:>8}"
                f" {r['max_ms']:>8}"
            )
    done = result["work_done"]
    print(
        "work after the acks of a warm burst done after (p50 / max): credbot"
        f" {done['credbot']['p50_ms']} / {done['credbot']['max_ms']} ms, anchor"
        f" {done['anchor']['p50_ms']} / {done['anchor']['max_ms']} ms"
    )
    met = result["goal_met"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(
        f"warm p50 credbot/anchor = {result['warm_p50_ratio']}x"
        f" (goal <= {WARM_P50_GOAL}x: {verdict(met['warm_p50'])})"
    )
    print(
        f"warm p99 credbot/anchor = {result['warm_p99_ratio']}x"
        f" (goal <= {WARM_P99_GOAL}x: {verdict(met['warm_p99'])})"
    )
    print(
        f"cold first-burst p99 credbot = {result['cold']['credbot']['p99_ms']} ms"
        f" (anchor {result['cold']['anchor']['p99_ms']} ms;"
        f" goal < {COLD_P99_GOAL_MS:.0f} ms: {verdict(met['cold_p99'])})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--cold-starts", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args)
    if args.json:
        print(json.dumps(result))
    else:
        report(result)


if __name__ == "__main__":
    main()
