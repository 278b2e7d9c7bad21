"""Revocation time per contractor: credbot's ``offboard`` vs the raw hvac calls it makes.

Both sides run in the same process, against the same OpenBao dev server, with the same
least-privilege AppRole policy (``credbot-bot``), on the same Vault state: every account is a
userpass user with an identity entity (and alias) holding a login-MFA TOTP secret born in
Vault, whose wrapped password and secret were unwrapped, whose first login was proven with a
code, which was activated with the role policy, and which holds one live token from a daily
login (password and code).

- credbot: ``bot.core.revocation.offboard`` on an ``active`` contractor, on SQLite and on
  PostgreSQL. That is the ``revoking`` intent and ``revoked`` with their hash-chained audit
  events, the account record, and ``vault.revocation.revoke_account`` with its read-back proof.
- raw: the same HTTP calls in the same four rounds, each round concurrent on a pool of five
  threads as in ``VaultAccounts``, with a plain ``hvac.Client`` and nothing else
  (``bench._raw.raw_revoke``).

The two are timed interleaved (A/B, then B/A, ...) so drift in the server or the machine lands
on both. Run ``python -m bench.revocation --help``. Always exits 0: it measures, it does not
judge, but it says whether the goal (credbot <= 1.25x raw) was met.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench._raw import RawVault, raw_revoke
from bench._setup import (
    DATABASES,
    BaoEnv,
    Stopwatch,
    Summary,
    TimedProxy,
    database,
    load_average,
    log_in,
    make_core,
    new_request,
    openbao,
    postgres,
    prepare_live_account,
    progress,
    token_rejected,
)
from bot.core import enrolment, issuing, onboarding
from bot.core.context import Core
from bot.core.revocation import offboard
from bot.core.states import State
from bot.storage.store import SqlStore
from tests.support.contractor import fresh_code
from tests.support.postgres import PostgresServer
from vault.accounts import VaultAccounts

GOAL = 1.25
"""credbot may take at most this many times the raw hvac calls, per contractor."""
RAW_TRANSPORTS = ("requests", "urllib3")
"""The raw side's HTTP client: hvac's own, or credbot's (``--raw-transport``)."""

MANAGER = "UBENCHMGR"
APPROVER = "UBENCHAPR"
ADMIN = "UBENCHADM"


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Samples:
    """Raw per-contractor timings collected over every round."""

    credbot_ns: list[int] = field(default_factory=list)
    raw_ns: list[int] = field(default_factory=list)
    store_ns: list[int] = field(default_factory=list)
    store_cpu_ns: list[int] = field(default_factory=list)
    store_calls: list[int] = field(default_factory=list)
    vault_ns: list[int] = field(default_factory=list)
    store_by_method: dict[str, list[int]] = field(default_factory=dict)
    """``[calls, ns]`` per store method, summed over every timed ``offboard``."""


# -- the environment -------------------------------------------------------------------------


@dataclass
class Bench:
    """Everything both sides run against: one OpenBao, one database, credbot's core and the
    raw side's plain hvac client."""

    addr: str
    core: Core
    accounts: VaultAccounts
    raw: RawVault
    store_watch: Stopwatch
    vault_watch: Stopwatch


@contextmanager
def bench_environment(
    bao: BaoEnv, kind: str, workdir: Path, pg: PostgresServer | None, *, raw_transport: str
) -> Iterator[Bench]:
    """credbot on a fresh AppRole login and a new migrated database of ``kind``; the raw side
    on its own AppRole login (same role, same ``credbot-bot`` policy, its own HTTP session and
    its own pool of five threads)."""
    accounts = bao.bot_accounts()
    raw = bao.raw_vault(transport=raw_transport)
    with database(kind, workdir, pg) as (_, engine):
        store_watch, vault_watch = Stopwatch(), Stopwatch()
        core = make_core(
            TimedProxy(SqlStore(engine=engine), store_watch),
            TimedProxy(accounts, vault_watch),
        )
        try:
            yield Bench(
                addr=bao.addr,
                core=core,
                accounts=accounts,
                raw=raw,
                store_watch=store_watch,
                vault_watch=vault_watch,
            )
        finally:
            raw.close()


# -- preparing accounts ----------------------------------------------------------------------


def prepare_credbot_contractor(bench: Bench) -> tuple[str, str]:
    """Request -> verify -> approve -> issue -> reveal -> prove the first login with a fresh
    code (the page's two steps) -> one daily login with password and another code.

    Returns the id of a contractor that is ``active``, and its live login token.
    """
    core = bench.core
    request = new_request("revocation benchmark")
    contractor = onboarding.request_onboarding(core, request, requester=MANAGER)
    onboarding.verify(core, contractor.id, checks=[])
    onboarding.approve(core, contractor.id, approver=APPROVER)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    link_secret = issued.url.rsplit("#", 1)[1]
    revealed = enrolment.reveal(core, link_secret, issued.code)
    account = revealed.secrets
    active = enrolment.prove_first_login(
        core,
        link_secret,
        revealed.proof_token,
        account.password,
        fresh_code(account.totp_secret),
    )
    if active.state is not State.ACTIVE:
        raise RuntimeError(f"contractor {active.id} is {active.state.value}, not active")
    return active.id, log_in(bench.addr, account)


def prepare_raw_account(bench: Bench) -> tuple[str, str]:
    """The same Vault state without a database record (``bench._setup.prepare_live_account``:
    issue, unwrap, prove a first login, activate, one daily login). Returns the username and
    its live token."""
    account = prepare_live_account(bench.accounts, bench.addr)
    return account.username, account.token


# -- one round ---------------------------------------------------------------------------------


def time_credbot(bench: Bench, contractor_id: str, samples: Samples) -> None:
    bench.store_watch.reset(everything=True)
    bench.vault_watch.reset()
    start = time.perf_counter_ns()
    revoked = offboard(bench.core, contractor_id, actor=ADMIN, reason="benchmark")
    elapsed = time.perf_counter_ns() - start
    if revoked.state is not State.REVOKED:
        raise RuntimeError(f"contractor {contractor_id} ended {revoked.state.value}")
    samples.credbot_ns.append(elapsed)
    samples.store_ns.append(bench.store_watch.total_ns)
    samples.store_cpu_ns.append(bench.store_watch.cpu_ns)
    samples.store_calls.append(bench.store_watch.calls)
    for method, (calls, ns) in bench.store_watch.by_method.items():
        count_and_time = samples.store_by_method.setdefault(method, [0, 0])
        count_and_time[0] += calls
        count_and_time[1] += ns
    samples.vault_ns.append(bench.vault_watch.total_ns)


def time_raw(bench: Bench, username: str, samples: Samples) -> None:
    bench.raw.ensure_login()
    start = time.perf_counter_ns()
    # As credbot: the link was claimed, so no wrapping accessor is passed.
    proof = raw_revoke(bench.raw, username)
    elapsed = time.perf_counter_ns() - start
    if not proof.complete:
        raise RuntimeError(f"raw revocation of {username} incomplete: {proof}")
    samples.raw_ns.append(elapsed)


def run_round(
    bench: Bench, contractors: int, samples: Samples, *, round_no: int, kind: str
) -> None:
    progress(f"{kind} round {round_no}: preparing {contractors} credbot contractors")
    prepared = [prepare_credbot_contractor(bench) for _ in range(contractors)]
    progress(f"{kind} round {round_no}: preparing {contractors} raw accounts")
    raw_prepared = [prepare_raw_account(bench) for _ in range(contractors)]
    if any(token_rejected(bench.addr, token) for _, token in prepared + raw_prepared):
        raise RuntimeError("a prepared account's login token does not work")
    progress(f"{kind} round {round_no}: revoking, interleaved")
    for i, ((contractor_id, _), (username, _)) in enumerate(
        zip(prepared, raw_prepared, strict=True)
    ):
        if i % 2 == 0:
            time_credbot(bench, contractor_id, samples)
            time_raw(bench, username, samples)
        else:
            time_raw(bench, username, samples)
            time_credbot(bench, contractor_id, samples)
    # A fast revocation that leaves a working token proves nothing (checked untimed).
    surviving = [t for _, t in prepared + raw_prepared if not token_rejected(bench.addr, t)]
    if surviving:
        raise RuntimeError(f"{len(surviving)} login tokens still work after revocation")


# -- report ------------------------------------------------------------------------------------


def build_report(
    samples: Samples,
    *,
    kind: str,
    contractors: int,
    rounds: int,
    load: tuple[float, float],
    raw_transport: str,
) -> dict[str, Any]:
    credbot, raw = Summary.of(samples.credbot_ns), Summary.of(samples.raw_ns)
    store, vault = Summary.of(samples.store_ns), Summary.of(samples.vault_ns)
    other_ns = [
        total - db - v
        for total, db, v in zip(samples.credbot_ns, samples.store_ns, samples.vault_ns, strict=True)
    ]
    other = Summary.of(other_ns)
    ratio_mean = credbot.mean_ms / raw.mean_ms
    ratio_p50 = credbot.p50_ms / raw.p50_ms
    return {
        "database": kind,
        "contractors": contractors,
        "rounds": rounds,
        "samples_per_side": credbot.n,
        "load_average_1min": {"before": load[0], "after": load[1]},
        "credbot": asdict(credbot),
        "raw_hvac": asdict(raw),
        "raw_transport": raw_transport,
        "ratio_mean": ratio_mean,
        "ratio_p50": ratio_p50,
        "goal": GOAL,
        "goal_met": ratio_mean <= GOAL and ratio_p50 <= GOAL,
        "credbot_breakdown": {
            "store": asdict(store),
            "store_cpu": asdict(Summary.of(samples.store_cpu_ns)),
            "store_calls_per_contractor": statistics.fmean(samples.store_calls),
            "store_share_of_mean": store.mean_ms / credbot.mean_ms,
            "store_by_method": {
                method: {
                    "calls_per_contractor": calls / credbot.n,
                    "mean_ms_per_call": ns / calls / 1e6,
                    "ms_per_contractor": ns / credbot.n / 1e6,
                }
                for method, (calls, ns) in sorted(
                    samples.store_by_method.items(), key=lambda item: -item[1][1]
                )
            },
            "vault": asdict(vault),
            "vault_share_of_mean": vault.mean_ms / credbot.mean_ms,
            "vault_vs_raw_mean": vault.mean_ms / raw.mean_ms,
            "other": asdict(other),
        },
    }


def render(report: dict[str, Any]) -> str:
    credbot, raw = report["credbot"], report["raw_hvac"]
    parts = report["credbot_breakdown"]
    verdict = "MET" if report["goal_met"] else "NOT MET"
    load = report["load_average_1min"]

    def row(name: str, s: dict[str, float]) -> str:
        return (
            f"  {name:<28}{s['p50_ms']:>9.2f}{s['p90_ms']:>9.2f}{s['mean_ms']:>9.2f}"
            f"{s['min_ms']:>9.2f}{s['max_ms']:>9.2f}"
        )

    lines = [
        f"revocation per contractor on {report['database']}: {report['contractors']} "
        f"contractors x {report['rounds']} round(s) = {report['samples_per_side']} samples "
        f"per side (ms); load average {load['before']:.2f} -> {load['after']:.2f}",
        f"  {'':<28}{'p50':>9}{'p90':>9}{'mean':>9}{'min':>9}{'max':>9}",
        row("credbot offboard", credbot),
        row(f"raw hvac calls ({report['raw_transport']})", raw),
        "",
        "inside credbot offboard:",
        row("database (core.store)", parts["store"]),
        row("  of which CPU here", parts["store_cpu"]),
        row("vault (core.vault)", parts["vault"]),
        row("everything else", parts["other"]),
        f"  store calls per contractor: {parts['store_calls_per_contractor']:.1f}; "
        f"database {parts['store_share_of_mean']:.0%} and Vault "
        f"{parts['vault_share_of_mean']:.0%} of credbot's mean; "
        f"credbot's Vault part is {parts['vault_vs_raw_mean']:.2f}x the raw calls",
        "  database time by store method (per contractor):",
        *(
            f"    {method:<22}{m['calls_per_contractor']:>4.0f} call(s) "
            f"{m['ms_per_contractor']:>8.2f} ms ({m['mean_ms_per_call']:.2f} ms/call)"
            for method, m in parts["store_by_method"].items()
        ),
        "",
        f"ratio credbot/raw: mean {report['ratio_mean']:.2f}x, p50 {report['ratio_p50']:.2f}x",
        f"goal <= {report['goal']:.2f}x (both ratios): {verdict}",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.revocation",
        description="Revocation time per contractor: credbot offboard vs the raw hvac calls.",
    )
    parser.add_argument(
        "--contractors", type=int, default=50, help="contractors per side per round (50)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="prepare-and-revoke rounds (1)")
    parser.add_argument(
        "--database",
        choices=[*DATABASES, "both"],
        default="both",
        help="credbot's database: a SQLite file, a throwaway PostgreSQL, or each in turn (both)",
    )
    parser.add_argument(
        "--raw-transport",
        choices=RAW_TRANSPORTS,
        default="requests",
        help="the raw side's HTTP client: hvac's own (requests), or credbot's (urllib3), which "
        "leaves only the calls to compare (requests)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    if args.contractors < 1 or args.rounds < 1:
        parser.error("--contractors and --rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    kinds = DATABASES if args.database == "both" else (args.database,)
    reports = []
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="credbot-bench-")))
        bao = stack.enter_context(openbao(workdir))
        pg = stack.enter_context(postgres()) if "postgres" in kinds else None
        for kind in kinds:
            samples = Samples()
            with bench_environment(
                bao, kind, workdir, pg, raw_transport=args.raw_transport
            ) as bench:
                before = load_average()
                for round_no in range(1, args.rounds + 1):
                    run_round(bench, args.contractors, samples, round_no=round_no, kind=kind)
                after = load_average()
            reports.append(
                build_report(
                    samples,
                    kind=kind,
                    contractors=args.contractors,
                    rounds=args.rounds,
                    load=(before, after),
                    raw_transport=args.raw_transport,
                )
            )
    if args.json:
        print(json.dumps({"benchmark": "revocation", "databases": reports}, indent=2))
    else:
        print("\n\n".join(render(report) for report in reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
