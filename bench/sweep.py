"""The sweep at scale, on real OpenBao and real PostgreSQL, three measures in one run.

1. **Due revocations**: N contractors whose contract ended, revoked by ``bot.core.sweep.sweep``
   (``force=True``, default ``workers`` and ``batch``) vs the raw hvac calls they need (the
   calls of ``vault.revocation.revoke_account`` with its in-call concurrency, fanned out over a
   thread pool as big as the sweep's, plus the one ``LIST`` of users the sweep's reconciliation
   makes).
   The halves run A/B then B/A so drift lands on both sides.
2. **Nothing due**: a sweep over M contractors (10k, 50k, ... M rows) with nothing to do; the
   database part and the whole call are timed separately, Python's peak allocation is traced,
   and a fresh process reports its peak RSS (``VmHWM``).
3. **Departure to rejected token**: ``record_departure`` + ``process_departures`` for a
   ``user_change`` event, until the contractor's old token fails ``lookup-self``.

Run ``python -m bench.sweep --help``. Always exits 0; it says which goals were met.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench._raw import RawVault, raw_revoke
from bench._setup import (
    LINK_TTL,
    BaoEnv,
    LiveAccount,
    Stopwatch,
    TimedProxy,
    add_sweep_arguments,
    load_average,
    make_core,
    openbao,
    postgres,
    prepare_live_account,
    progress,
    token_rejected,
)
from bot.config import Settings
from bot.core.departures import process_departures, record_departure
from bot.core.states import State
from bot.core.sweep import SweepOptions, sweep
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade
from bot.storage.store import SqlStore
from tests.support.postgres import PostgresServer
from vault.accounts import VaultAccounts
from vault.layout import USERPASS_MOUNT
from vault.models import RevocationProof
from vault.userpass import LIST_PAGE_SIZE

RATIO_GOAL = 1.3
IDLE_SECONDS_GOAL = 1.0
IDLE_MEMORY_GOAL_MB = 200.0
FLAT_TOLERANCE = 1.5
"""Largest size's peak memory (Python's and RSS) over the smallest's: at most this to count
as "flat". Time cannot be flat: reconciliation compares every Vault user; it is reported."""
DEPARTURE_GOAL_S = 1.0
SETUP_THREADS = 4
IDLE_RUNS = 3
SCHEDULED_RECONCILE = Settings.model_fields["reconcile_interval"].default
"""The scheduled sweep's ``CREDBOT_RECONCILE_INTERVAL`` (its default)."""
POLL_TIMEOUT_S = 5.0


# -- bulk rows ---------------------------------------------------------------------------------

CONTRACTOR_COLUMNS = (
    "id",
    "slack_user_id",
    "email",
    "display_name",
    "country",
    "end_date",
    "role",
    "requested_by",
    "justification",
    "state",
    "created_at",
    "updated_at",
    "approved_by",
    "username",
    "failed_totp_attempts",
    "version",
)
ACCOUNT_COLUMNS = ("username", "contractor_id", "created_at", "revoked_at")
LINK_COLUMNS = (
    "link_hash",
    "contractor_id",
    "username",
    "sealed_delivery",
    "wrapping_accessor",
    "mfa_wrapping_accessor",
    "confirmation_digest",
    "failed_confirmations",
    "created_at",
    "expires_at",
    "claimed_at",
    "invalidated_at",
)


@dataclass
class Rows:
    """Rows for one bulk load, as tuples in the column orders above."""

    contractors: list[tuple[Any, ...]] = field(default_factory=list)
    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[Any, ...]] = field(default_factory=list)

    def add(
        self,
        *,
        state: State,
        username: str,
        end_date: date,
        slack_user_id: str,
        now: datetime,
        link_claimed: bool = True,
        revoked: bool = False,
    ) -> str:
        """One contractor as the full flow would leave it: the contractor row, its Vault
        account record, and its link (claimed, or still open for ``issued``)."""
        contractor_id = uuid.uuid4().hex
        self.contractors.append(
            (
                contractor_id,
                slack_user_id,
                f"{slack_user_id.lower()}@agency.example",
                f"Bench {slack_user_id}",
                "DE",
                end_date,
                "reviewer",
                "UBENCHMGR",
                "sweep benchmark",
                state.value,
                now,
                now,
                "UBENCHAPR",
                username,
                0,
                5,
            )
        )
        self.accounts.append((username, contractor_id, now, now if revoked else None))
        self.links.append(
            (
                secrets.token_hex(32),
                contractor_id,
                username,
                "sealed-placeholder",
                f"acc-{secrets.token_hex(8)}",
                f"acc-{secrets.token_hex(8)}",
                secrets.token_hex(32),
                0,
                now,
                now + LINK_TTL,
                now if link_claimed else None,
                now if revoked and not link_claimed else None,
            )
        )
        return contractor_id


def copy_rows(engine: Engine, rows: Rows) -> None:
    """``COPY ... FROM STDIN`` into the three tables, in one transaction (PostgreSQL)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for table, columns, values in (
            ("contractors", CONTRACTOR_COLUMNS, rows.contractors),
            ("vault_accounts", ACCOUNT_COLUMNS, rows.accounts),
            ("links", LINK_COLUMNS, rows.links),
        ):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        connection.commit()
        with engine.begin() as analyze:
            analyze.exec_driver_sql("ANALYZE contractors, vault_accounts, links")
    finally:
        connection.close()


def new_database(pg: PostgresServer) -> tuple[str, Engine]:
    url = pg.create_database()
    upgrade(url)
    return url, make_engine(url)


# -- Vault accounts ----------------------------------------------------------------------------


def prepare_accounts(accounts: VaultAccounts, addr: str, count: int) -> list[LiveAccount]:
    with ThreadPoolExecutor(max_workers=SETUP_THREADS) as pool:
        return list(pool.map(lambda _: prepare_live_account(accounts, addr), range(count)))


def count_surviving_tokens(addr: str, tokens: Iterable[str]) -> int:
    with ThreadPoolExecutor(max_workers=SETUP_THREADS) as pool:
        return sum(not rejected for rejected in pool.map(lambda t: token_rejected(addr, t), tokens))


# -- the raw side ------------------------------------------------------------------------------


def run_raw(bao: BaoEnv, usernames: Sequence[str], *, workers: int) -> float:
    """Revoke ``usernames`` with ``workers`` threads sharing one pool of five for the calls of
    each round (``bench._raw.raw_revoke``: the four rounds of ``vault.revocation``), then
    ``LIST auth/credbot/users`` once, as the sweep's reconciliation does. Returns seconds."""
    raw: RawVault = bao.raw_vault()
    try:
        with ThreadPoolExecutor(max_workers=workers) as outer:
            start = time.perf_counter()
            proofs = list(outer.map(lambda name: raw_revoke(raw, name), usernames))
            with suppress(hvac.exceptions.InvalidPath):
                raw.client.auth.userpass.list_user(mount_point=USERPASS_MOUNT)
            elapsed = time.perf_counter() - start
    finally:
        raw.close()
    incomplete = [p for p in proofs if not p.complete]
    if incomplete:
        raise RuntimeError(f"{len(incomplete)} raw revocations incomplete, e.g. {incomplete[0]}")
    return elapsed


# -- 1. due revocations ------------------------------------------------------------------------


def time_vault_list(accounts: VaultAccounts) -> float:
    """Vault's real paged ``LIST auth/credbot/users`` (``iter_accounts``, as the sweep's
    comparison reads it) over the users just prepared: the median of 3, in microseconds per
    user, which measure 2 scales to its sizes (the stand-in there answers at once)."""
    timings, users = [], 0
    for _ in range(3):
        start = time.perf_counter_ns()
        users = sum(1 for _ in accounts.iter_accounts())
        timings.append(time.perf_counter_ns() - start)
    return statistics.median(timings) / 1e3 / max(users, 1)


def bench_revocations(
    bao: BaoEnv, pg: PostgresServer, *, count: int, workers: int, batch: int
) -> dict[str, Any]:
    progress(f"[1] preparing {count} + {count} live Vault accounts ({SETUP_THREADS} threads)")
    setup_start = time.perf_counter()
    accounts = bao.bot_accounts()
    credbot_side = prepare_accounts(accounts, bao.addr, count)
    raw_side = prepare_accounts(accounts, bao.addr, count)
    vault_setup_s = time.perf_counter() - setup_start
    list_us_per_user = time_vault_list(accounts)

    _, engine = new_database(pg)
    now = datetime.now(UTC)
    yesterday, later = now.date() - timedelta(days=1), now.date() + timedelta(days=30)
    half = count // 2 or count
    rows = Rows()
    ids = [
        rows.add(
            state=State.ACTIVE,
            username=account.username,
            end_date=yesterday if i < half else later,
            slack_user_id=f"UR{i:08d}",
            now=now,
        )
        for i, account in enumerate(credbot_side)
    ]
    db_start = time.perf_counter()
    copy_rows(engine, rows)
    db_setup_s = time.perf_counter() - db_start

    store_watch, vault_watch = Stopwatch(), Stopwatch()
    core = make_core(
        TimedProxy(SqlStore(engine=engine), store_watch), TimedProxy(accounts, vault_watch)
    )
    options = SweepOptions(worker="bench-sweep", force=True, workers=workers, batch=batch)

    def run_sweep(expected: int) -> float:
        start = time.perf_counter()
        report = sweep(core, options)
        elapsed = time.perf_counter() - start
        done = sum(item.outcome == "done" for item in report.items)
        if done != expected or report.pending:
            raise RuntimeError(f"sweep revoked {done} of {expected}: {report.pending[:3]}")
        return elapsed

    halves = [
        ([a.username for a in raw_side[:half]], ids[:half]),
        ([a.username for a in raw_side[half:]], ids[half:]),
    ]
    sweep_s = raw_s = 0.0
    load_before = load_average()
    progress(f"[1] revoking: raw A, sweep A, sweep B, raw B ({workers} workers, batch {batch})")
    raw_s += run_raw(bao, halves[0][0], workers=workers)
    sweep_s += run_sweep(len(halves[0][1]))
    if halves[1][1]:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE contractors SET end_date = :d WHERE end_date > :today"),
                {"d": yesterday, "today": now.date()},
            )
        sweep_s += run_sweep(len(halves[1][1]))
        raw_s += run_raw(bao, halves[1][0], workers=workers)

    load_after = load_average()
    counts = core.store.count_by_state()
    surviving = count_surviving_tokens(bao.addr, [a.token for a in credbot_side + raw_side])
    engine.dispose()
    if counts.get(State.REVOKED, 0) != count or surviving:
        raise RuntimeError(f"not everything revoked: {counts}, {surviving} tokens alive")
    ratio = sweep_s / raw_s
    by_method = {
        name: round(ns / 1e6 / count, 3)
        for name, (_, ns) in sorted(store_watch.by_method.items(), key=lambda kv: -kv[1][1])
    }
    return {
        "revocations": count,
        "workers": workers,
        "batch": batch,
        "setup_vault_s": vault_setup_s,
        "vault_list_us_per_user": list_us_per_user,
        "setup_db_s": db_setup_s,
        "sweep_s": sweep_s,
        "raw_s": raw_s,
        "sweep_ms_per_contractor": sweep_s * 1000 / count,
        "raw_ms_per_contractor": raw_s * 1000 / count,
        "ratio": ratio,
        "goal": RATIO_GOAL,
        "goal_met": ratio <= RATIO_GOAL,
        "db_busy_ms_per_contractor": store_watch.total_ns / 1e6 / count,
        "vault_busy_ms_per_contractor": vault_watch.total_ns / 1e6 / count,
        "db_calls_per_contractor": store_watch.calls / count,
        "db_busy_ms_per_contractor_by_method": by_method,
        "tokens_surviving": surviving,
        "load_average_1min": {"before": load_before, "after": load_after},
    }


# -- 2. nothing due ----------------------------------------------------------------------------


class ListedVault:
    """A Vault stand-in whose paged LIST answers at once: the usernames a real Vault would
    hold (every issued/active contractor), in byte order, one per line in a file, read
    ``LIST_PAGE_SIZE`` lines at a time as the pages of ``LIST auth/credbot/users?after=&limit=``
    arrive. Nothing else is expected: nothing is due."""

    def __init__(self, names_file: Path) -> None:
        self._names_file = names_file

    def iter_accounts(self) -> Iterator[str]:
        with self._names_file.open(encoding="utf-8") as lines:
            while True:
                page = [line.rstrip("\n") for line in islice(lines, LIST_PAGE_SIZE)]
                yield from page
                if len(page) < LIST_PAGE_SIZE:
                    return

    def check_health(self) -> None:
        return None

    def revoke_account(self, *, username: str, legacy_totp_key: bool = False) -> RevocationProof:
        raise RuntimeError(f"nothing should be revoked in the idle sweep ({username})")


def idle_rows(start: int, stop: int, now: datetime, names: list[str]) -> Rows:
    """88% active (end date ahead), 2% issued with an open link, 10% revoked long ago."""
    rows = Rows()
    today = now.date()
    for i in range(start, stop):
        username = f"ctr-idle{i:08d}"
        if i % 10 == 1:
            rows.add(
                state=State.REVOKED,
                username=username,
                end_date=today - timedelta(days=1 + i % 300),
                slack_user_id=f"UI{i:08d}",
                now=now - timedelta(days=400),
                revoked=True,
            )
            continue
        issued = i % 50 == 0
        rows.add(
            state=State.ISSUED if issued else State.ACTIVE,
            username=username,
            end_date=today + timedelta(days=1 + i % 365),
            slack_user_id=f"UI{i:08d}",
            now=now,
            link_claimed=not issued,
        )
        names.append(username)
    return rows


def idle_sizes(largest: int) -> list[int]:
    return [size for size in (10_000, 50_000) if size < largest] + [largest]


def time_idle_sweep(url: str, names_file: Path) -> dict[str, float]:
    """Median and max of ``IDLE_RUNS`` sweeps that compare Vault with the database (an
    admin's ``credbot sweep``, and the scheduled sweep once per
    ``CREDBOT_RECONCILE_INTERVAL``), with the database part; then the median of
    ``IDLE_RUNS`` scheduled sweeps between two comparisons (``scheduled_s``)."""
    engine = make_engine(url)
    store_watch, vault_watch = Stopwatch(), Stopwatch()
    core = make_core(
        TimedProxy(SqlStore(engine=engine), store_watch),
        TimedProxy(ListedVault(names_file), vault_watch),
    )
    options = SweepOptions(worker="bench-idle")
    sweep(core, options)  # warm-up: connections, statement caches
    totals, dbs, lists, plans, reconcile_reads = [], [], [], [], []
    for _ in range(IDLE_RUNS):
        store_watch.reset(everything=True)
        vault_watch.reset()
        start = time.perf_counter_ns()
        report = sweep(core, options)
        totals.append(time.perf_counter_ns() - start)
        if report.items or report.orphans or report.missing or not report.all_done:
            raise RuntimeError(f"the idle sweep found work: {report.as_json()}")
        if not report.reconciled:
            raise RuntimeError("an admin's sweep did not compare Vault with the database")
        dbs.append(store_watch.total_ns)
        lists.append(vault_watch.total_ns)
        plans.append(store_watch.by_method.get("due_for_sweep", [0, 0])[1])
        reconcile_reads.append(
            sum(
                store_watch.by_method.get(name, [0, 0])[1]
                for name in ("vault_drift", "stale_accounts")
            )
        )
    scheduled = SweepOptions(worker="bench-idle", reconcile_every=SCHEDULED_RECONCILE)
    between = []
    for _ in range(IDLE_RUNS):
        start = time.perf_counter_ns()
        report = sweep(core, scheduled)
        between.append(time.perf_counter_ns() - start)
        if report.reconciled or report.items or not report.all_done:
            raise RuntimeError(f"a scheduled sweep between comparisons: {report.as_json()}")
    tracemalloc.start()
    sweep(core, options)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine.dispose()
    return {
        "scheduled_s": statistics.median(between) / 1e9,
        "scheduled_max_s": max(between) / 1e9,
        "vault_users": sum(1 for _ in ListedVault(names_file).iter_accounts()),
        "total_s": statistics.median(totals) / 1e9,
        "total_max_s": max(totals) / 1e9,
        "db_s": statistics.median(dbs) / 1e9,
        "due_for_sweep_s": statistics.median(plans) / 1e9,
        "reconcile_reads_s": statistics.median(reconcile_reads) / 1e9,
        "vault_list_s": statistics.median(lists) / 1e9,
        "python_peak_mb": peak / 2**20,
    }


def memory_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, from ``/proc/self/status``.

    ``VmHWM`` belongs to the process's own memory map, which ``exec`` replaces; the rusage
    ``ru_maxrss`` does not start over at ``exec``: a child forked from this large benchmark
    process would report the parent's size at the fork as its own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def idle_child(url: str, names_file: str) -> dict[str, float]:
    """In a fresh process: RSS before the first sweep and the peak after two."""
    engine = make_engine(url)
    core = make_core(SqlStore(engine=engine), ListedVault(Path(names_file)))
    before = memory_mb("VmRSS")
    for _ in range(2):
        sweep(core, SweepOptions(worker="bench-idle-child"))
    peak = memory_mb("VmHWM")
    engine.dispose()
    return {"rss_before_mb": before, "rss_peak_mb": peak, "rss_growth_mb": peak - before}


def measure_in_child(url: str, names_file: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.sweep", "--idle-child", url, str(names_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(completed.stdout)
    return result


def bench_idle(
    pg: PostgresServer, workdir: Path, *, largest: int, list_us_per_user: float
) -> dict[str, Any]:
    url, engine = new_database(pg)
    now = datetime.now(UTC)
    names: list[str] = []
    names_file = workdir / "vault-users.txt"
    loaded = 0
    results = []
    for size in idle_sizes(largest):
        progress(f"[2] loading contractors {loaded}..{size} (COPY)")
        start = time.perf_counter()
        copy_rows(engine, idle_rows(loaded, size, now, names))
        load_s = time.perf_counter() - start
        loaded = size
        names_file.write_text("".join(f"{name}\n" for name in sorted(names)))
        progress(f"[2] idle sweep over {size} contractors")
        measured = time_idle_sweep(url, names_file)
        measured.update(measure_in_child(url, names_file))
        measured["vault_list_estimate_s"] = measured["vault_users"] * list_us_per_user / 1e6
        measured["comparing_with_list_s"] = (
            measured["total_s"] + measured["vault_list_estimate_s"] - measured["vault_list_s"]
        )
        results.append({"contractors": size, "setup_s": load_s, **measured})
    engine.dispose()
    small, large = results[0], results[-1]
    time_growth = large["total_s"] / small["total_s"]
    memory_growth = large["python_peak_mb"] / max(small["python_peak_mb"], 1e-9)
    rss_growth = large["rss_peak_mb"] / max(small["rss_peak_mb"], 1e-9)
    return {
        "sizes": results,
        "goal_seconds": IDLE_SECONDS_GOAL,
        "goal_memory_mb": IDLE_MEMORY_GOAL_MB,
        "list_us_per_user": list_us_per_user,
        "reconcile_interval_s": SCHEDULED_RECONCILE.total_seconds(),
        "time_goal_met": all(r["scheduled_s"] < IDLE_SECONDS_GOAL for r in results),
        "comparing_under_goal": all(
            r["comparing_with_list_s"] < IDLE_SECONDS_GOAL for r in results
        ),
        "memory_goal_met": all(
            r["python_peak_mb"] < IDLE_MEMORY_GOAL_MB and r["rss_peak_mb"] < IDLE_MEMORY_GOAL_MB
            for r in results
        ),
        "time_growth": time_growth,
        "python_memory_growth": memory_growth,
        "rss_growth": rss_growth,
        "flat": max(memory_growth, rss_growth) <= FLAT_TOLERANCE,
        "db_share": large["db_s"] / large["total_s"],
    }


# -- 3. departure to rejected token ------------------------------------------------------------


class GoneDirectory:
    """Slack's directory as the departure code sees it: these users are deactivated."""

    def __init__(self) -> None:
        self.gone: set[str] = set()

    def deactivated_user_ids(self) -> set[str]:
        return set(self.gone)

    def is_deactivated(self, slack_user_id: str) -> bool:
        return slack_user_id in self.gone


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def bench_departures(bao: BaoEnv, pg: PostgresServer, *, count: int) -> dict[str, Any]:
    progress(f"[3] preparing {count} active contractors")
    accounts = bao.bot_accounts()
    live = prepare_accounts(accounts, bao.addr, count)
    _, engine = new_database(pg)
    now = datetime.now(UTC)
    rows = Rows()
    users = [f"UD{i:08d}" for i in range(count)]
    for account, user in zip(live, users, strict=True):
        rows.add(
            state=State.ACTIVE,
            username=account.username,
            end_date=now.date() + timedelta(days=30),
            slack_user_id=user,
            now=now,
        )
    copy_rows(engine, rows)
    core = make_core(SqlStore(engine=engine), accounts)
    directory = GoneDirectory()
    totals, processing, polls = [], [], []
    progress(f"[3] {count} user_change events, one at a time")
    for account, user in zip(live, users, strict=True):
        client = hvac.Client(url=bao.addr, token=account.token)
        client.auth.token.lookup_self()  # works before
        start = time.perf_counter()
        record_departure(core, event_id=f"Ev{secrets.token_hex(6)}", kind="user_change",
                         slack_user_id=user)  # fmt: skip
        directory.gone.add(user)
        revoked = process_departures(core, directory)
        processed = time.perf_counter()
        attempts = 0
        while True:
            attempts += 1
            try:
                client.auth.token.lookup_self()
            except hvac.exceptions.Forbidden:
                break
            if time.perf_counter() - start > POLL_TIMEOUT_S:
                raise RuntimeError(f"token of {user} still works after {POLL_TIMEOUT_S}s")
        totals.append(time.perf_counter() - start)
        processing.append(processed - start)
        polls.append(attempts)
        if len(revoked) != 1:
            raise RuntimeError(f"departure of {user} revoked {revoked}")
    engine.dispose()
    p50, p99 = percentile(totals, 0.5), percentile(totals, 0.99)
    return {
        "contractors": count,
        "p50_s": p50,
        "p99_s": p99,
        "max_s": max(totals),
        "processing_p50_s": percentile(processing, 0.5),
        "polls_max": max(polls),
        "goal_s": DEPARTURE_GOAL_S,
        "goal_met": p99 < DEPARTURE_GOAL_S,
    }


# -- report ------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def render(report: dict[str, Any]) -> str:
    rev, idle, dep = report["revocations"], report["idle"], report["departures"]
    lines = [
        f"1. due revocations: {rev['revocations']} contractors, {rev['workers']} workers, "
        f"batches of up to {rev['batch']} "
        f"(set-up: Vault {rev['setup_vault_s']:.1f} s for {2 * rev['revocations']} accounts, "
        f"database {rev['setup_db_s']:.2f} s)",
        f"   {'':<28}{'total s':>10}{'ms/contractor':>15}",
        f"   {'credbot sweep':<28}{rev['sweep_s']:>10.2f}{rev['sweep_ms_per_contractor']:>15.2f}",
        f"   {'raw hvac calls':<28}{rev['raw_s']:>10.2f}{rev['raw_ms_per_contractor']:>15.2f}",
        f"   busy time per contractor (summed over threads): database "
        f"{rev['db_busy_ms_per_contractor']:.2f} ms in {rev['db_calls_per_contractor']:.2f} "
        f"calls, Vault {rev['vault_busy_ms_per_contractor']:.2f} ms",
        "   database ms per contractor by store method: "
        + ", ".join(f"{k} {v:.2f}" for k, v in rev["db_busy_ms_per_contractor_by_method"].items()),
        f"   ratio sweep/raw {rev['ratio']:.2f}x (raw: the anchor), goal <= {rev['goal']}x: "
        f"{verdict(rev['goal_met'])}; load average "
        f"{rev['load_average_1min']['before']:.2f} -> {rev['load_average_1min']['after']:.2f}",
        "",
        "2. sweep with nothing due (PostgreSQL). scheduled = the scheduled sweep between two "
        f"comparisons with Vault (one per {idle['reconcile_interval_s'] / 60:.0f} min); "
        "compare = a sweep that compares (an admin's, or the scheduled one once per interval) "
        "with Vault's LIST answered by a stand-in at once, db s = its store calls, recon = "
        "its reconciliation's reads; + real LIST = compare with Vault's real paged LIST "
        f"measured in this run ({idle['list_us_per_user']:.2f} us per user over "
        f"{2 * rev['revocations']} users, scaled); py peak = tracemalloc; RSS = a fresh "
        "process's peak",
        f"   {'contractors':>11}{'scheduled s':>12}{'max s':>7}{'compare s':>10}{'db s':>7}"
        f"{'recon s':>8}{'+ real LIST s':>14}{'py peak MB':>11}{'RSS MB':>8}{'RSS +MB':>8}",
        *(
            f"   {r['contractors']:>11}{r['scheduled_s']:>12.3f}{r['scheduled_max_s']:>7.3f}"
            f"{r['total_s']:>10.3f}{r['db_s']:>7.3f}{r['reconcile_reads_s']:>8.3f}"
            f"{r['comparing_with_list_s']:>14.3f}{r['python_peak_mb']:>11.1f}"
            f"{r['rss_peak_mb']:>8.1f}{r['rss_growth_mb']:>8.1f}"
            for r in idle["sizes"]
        ),
        f"   database share of the largest comparing sweep: {idle['db_share']:.0%}; growth "
        f"smallest to largest: time {idle['time_growth']:.2f}x (every Vault user is compared), "
        f"Python peak memory {idle['python_memory_growth']:.2f}x, peak RSS "
        f"{idle['rss_growth']:.2f}x",
        f"   goal: the scheduled sweep < {idle['goal_seconds']} s: "
        f"{verdict(idle['time_goal_met'])} (the comparing sweep with the real LIST "
        f"{'is' if idle['comparing_under_goal'] else 'is not'} under it too); "
        f"peak < {idle['goal_memory_mb']:.0f} MB: {verdict(idle['memory_goal_met'])}; "
        f"memory flat (<= {FLAT_TOLERANCE}x): {verdict(idle['flat'])}",
        "",
        f"3. user_change to old token rejected: {dep['contractors']} contractors",
        f"   p50 {dep['p50_s'] * 1000:.1f} ms, p99 {dep['p99_s'] * 1000:.1f} ms, "
        f"max {dep['max_s'] * 1000:.1f} ms (record+process p50 "
        f"{dep['processing_p50_s'] * 1000:.1f} ms; at most {dep['polls_max']} lookup-self)",
        f"   goal p99 < {dep['goal_s']} s: {verdict(dep['goal_met'])}",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep",
        description="The sweep on OpenBao and PostgreSQL: due revocations vs raw hvac, an "
        "idle sweep over many contractors, departure event to rejected token.",
    )
    parser.add_argument(
        "--revocations", type=int, default=1000, help="due revocations per side (1000)"
    )
    parser.add_argument(
        "--contractors",
        type=int,
        default=100_000,
        help="largest idle sweep, in contractors; 10k and 50k are measured on the way (100000)",
    )
    parser.add_argument("--departures", type=int, default=20, help="departure events (20)")
    add_sweep_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--idle-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.revocations, args.contractors, args.departures, args.workers, args.batch) < 1:
        parser.error("every count must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.idle_child:
        print(json.dumps(idle_child(*args.idle_child)))
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="credbot-bench-sweep-") as tmp,
        openbao(Path(tmp)) as bao,
        postgres() as pg,
    ):
        revocations = bench_revocations(
            bao, pg, count=args.revocations, workers=args.workers, batch=args.batch
        )
        report = {
            "benchmark": "sweep",
            "revocations": revocations,
            "idle": bench_idle(
                pg,
                Path(tmp),
                largest=args.contractors,
                list_us_per_user=revocations["vault_list_us_per_user"],
            ),
            "departures": bench_departures(bao, pg, count=args.departures),
        }
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
