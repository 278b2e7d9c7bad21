"""Approval to DM: credbot's approve and issue until the link's DM goes out, vs the raw Vault
calls of the same issue.

When an approver clicks Approve, the Slack listener calls ``onboarding.approve`` and then
``issuing.issue``, which ends by handing the link to the notifier (``send_link``: the Slack DM).
Both run here on the real core: a ``SqlStore`` on SQLite and on PostgreSQL, ``VaultAccounts`` on
the bot's AppRole login, and a recording notifier that notes when ``send_link`` is called.

- credbot: ``approve`` + ``issue`` on a contractor awaiting approval, until ``send_link``: the
  approval and its audit event, the account record, ``VaultAccounts.issue_account`` (the user,
  the identity entity and its alias, the login-MFA secret born in Vault with ``admin-generate``,
  the password through ``credbot-pending``, both wrapped), the sealed link, the ``issued`` state
  with its audit event.
- raw: the same Vault calls in the same rounds, each round concurrent on a pool of five threads
  as in ``VaultAccounts``, with a plain ``hvac.Client`` (``bench._raw.raw_issue``).

Interleaved one contractor at a time (A/B, B/A, ...). Run ``python -m bench.issue_latency
--help``. Always exits 0; it says whether the goal (credbot <= 1.3x raw) was met.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench._raw import RawVault, raw_issue
from bench._setup import (
    DATABASES,
    BaoEnv,
    Stopwatch,
    Summary,
    TimedProxy,
    database,
    load_average,
    make_core,
    new_request,
    openbao,
    postgres,
    progress,
)
from bot.core import issuing, onboarding
from bot.core.context import Core
from bot.core.models import Contractor
from bot.storage.store import SqlStore
from tests.support.notifier import RecordingNotifier
from tests.support.postgres import PostgresServer

GOAL = 1.3
"""Approval to DM may take at most this many times the raw Vault calls of an issue."""
MANAGER, APPROVER = "UBENCHMGR", "UBENCHAPR"
WARM_UP = 2
"""Untimed issues per side first: connections, statement caches, the cached accessor and
MFA method id."""


class TimedLinkRecorder(RecordingNotifier):
    """The test suite's recording notifier, noting when the last link was handed over."""

    sent_at_ns: int = 0

    def send_link(self, contractor: Contractor, *, url: str, code: str) -> None:
        self.sent_at_ns = time.perf_counter_ns()
        super().send_link(contractor, url=url, code=code)


@dataclass
class IssueBench:
    """credbot's core (store and Vault behind timing proxies) and the raw side."""

    core: Core
    notifier: TimedLinkRecorder
    raw: RawVault
    store_watch: Stopwatch
    vault_watch: Stopwatch


@dataclass
class Samples:
    approval_ns: list[int] = field(default_factory=list)
    issue_ns: list[int] = field(default_factory=list)
    raw_ns: list[int] = field(default_factory=list)
    store_ns: list[int] = field(default_factory=list)
    store_cpu_ns: list[int] = field(default_factory=list)
    vault_ns: list[int] = field(default_factory=list)
    store_by_method: dict[str, list[int]] = field(default_factory=dict)


@contextmanager
def issue_bench(
    bao: BaoEnv, kind: str, workdir: Path, pg: PostgresServer | None
) -> Iterator[IssueBench]:
    """A core on a new migrated database of ``kind`` and a fresh AppRole login, and the raw
    side on its own AppRole login (same role and policy, its own session and pool)."""
    raw = bao.raw_vault()
    with database(kind, workdir, pg) as (_, engine):
        store_watch, vault_watch = Stopwatch(), Stopwatch()
        notifier = TimedLinkRecorder()
        core = make_core(
            TimedProxy(SqlStore(engine=engine), store_watch),
            TimedProxy(bao.bot_accounts(), vault_watch),
            notifier=notifier,
        )
        try:
            yield IssueBench(core, notifier, raw, store_watch, vault_watch)
        finally:
            raw.close()


def awaiting_approval(core: Core) -> str:
    """A new contractor whose identity checks passed, waiting for an approver; its id."""
    contractor = onboarding.request_onboarding(
        core, new_request("issue benchmark"), requester=MANAGER
    )
    onboarding.verify(core, contractor.id, checks=[])
    return contractor.id


def time_credbot(bench: IssueBench, contractor_id: str, samples: Samples | None) -> None:
    """Approve, issue, until ``send_link``; ``samples`` ``None``: untimed (warm-up)."""
    bench.store_watch.reset(everything=True)
    bench.vault_watch.reset()
    start = time.perf_counter_ns()
    onboarding.approve(bench.core, contractor_id, approver=APPROVER)
    issue_start = time.perf_counter_ns()
    issuing.issue(bench.core, contractor_id, actor=APPROVER)
    sent = bench.notifier.sent_at_ns
    if sent < issue_start:
        raise RuntimeError(f"no DM went out for {contractor_id}")
    if samples is None:
        return
    samples.approval_ns.append(sent - start)
    samples.issue_ns.append(sent - issue_start)
    samples.store_ns.append(bench.store_watch.total_ns)
    samples.store_cpu_ns.append(bench.store_watch.cpu_ns)
    samples.vault_ns.append(bench.vault_watch.total_ns)
    for method, (calls, ns) in bench.store_watch.by_method.items():
        count_and_time = samples.store_by_method.setdefault(method, [0, 0])
        count_and_time[0] += calls
        count_and_time[1] += ns


def time_raw(bench: IssueBench, samples: Samples | None) -> None:
    bench.raw.ensure_login()
    username = issuing.new_username()
    start = time.perf_counter_ns()
    raw_issue(bench.raw, username)
    if samples is not None:
        samples.raw_ns.append(time.perf_counter_ns() - start)


def measure(bench: IssueBench, *, contractors: int, label: str) -> dict[str, Any]:
    """Prepare ``contractors`` (+ warm-up) awaiting approval, then time both sides
    interleaved; return the report."""
    progress(f"{label}: {contractors + WARM_UP} contractors awaiting approval")
    waiting = [awaiting_approval(bench.core) for _ in range(contractors + WARM_UP)]
    for contractor_id in waiting[:WARM_UP]:
        time_credbot(bench, contractor_id, None)
        time_raw(bench, None)
    progress(f"{label}: approval to DM vs raw issue, {contractors} each, interleaved")
    samples = Samples()
    before = load_average()
    for index, contractor_id in enumerate(waiting[WARM_UP:]):
        if index % 2 == 0:
            time_credbot(bench, contractor_id, samples)
            time_raw(bench, samples)
        else:
            time_raw(bench, samples)
            time_credbot(bench, contractor_id, samples)
    after = load_average()
    return build_report(samples, label=label, load=(before, after))


def build_report(samples: Samples, *, label: str, load: tuple[float, float]) -> dict[str, Any]:
    approval, issue, raw = (
        Summary.of(s) for s in (samples.approval_ns, samples.issue_ns, samples.raw_ns)
    )
    store, vault = Summary.of(samples.store_ns), Summary.of(samples.vault_ns)
    other = Summary.of(
        [
            a - s - v
            for a, s, v in zip(samples.approval_ns, samples.store_ns, samples.vault_ns, strict=True)
        ]
    )
    ratio_mean, ratio_p50 = approval.mean_ms / raw.mean_ms, approval.p50_ms / raw.p50_ms
    return {
        "database": label,
        "load_average_1min": {"before": load[0], "after": load[1]},
        "approval_to_dm": asdict(approval),
        "issue_to_dm": asdict(issue),
        "raw_hvac": asdict(raw),
        "ratio_mean": ratio_mean,
        "ratio_p50": ratio_p50,
        "issue_only_ratio_mean": issue.mean_ms / raw.mean_ms,
        "issue_only_ratio_p50": issue.p50_ms / raw.p50_ms,
        "goal": GOAL,
        "goal_met": ratio_mean <= GOAL and ratio_p50 <= GOAL,
        "credbot_breakdown": {
            "store": asdict(store),
            "store_cpu": asdict(Summary.of(samples.store_cpu_ns)),
            "vault": asdict(vault),
            "vault_vs_raw_mean": vault.mean_ms / raw.mean_ms,
            "other": asdict(other),
            "store_by_method": {
                method: {
                    "calls_per_contractor": calls / approval.n,
                    "ms_per_contractor": ns / approval.n / 1e6,
                }
                for method, (calls, ns) in sorted(
                    samples.store_by_method.items(), key=lambda item: -item[1][1]
                )
            },
        },
    }


def render(report: dict[str, Any]) -> str:
    parts = report["credbot_breakdown"]
    load = report["load_average_1min"]

    def row(name: str, s: dict[str, float]) -> str:
        return (
            f"  {name:<30}{s['p50_ms']:>9.2f}{s['p90_ms']:>9.2f}{s['mean_ms']:>9.2f}"
            f"{s['min_ms']:>9.2f}{s['max_ms']:>9.2f}"
        )

    return "\n".join(
        [
            f"approval to DM on {report['database']}: {report['approval_to_dm']['n']} samples "
            f"per side (ms); load average {load['before']:.2f} -> {load['after']:.2f}",
            f"  {'':<30}{'p50':>9}{'p90':>9}{'mean':>9}{'min':>9}{'max':>9}",
            row("credbot approve + issue", report["approval_to_dm"]),
            row("credbot issue only", report["issue_to_dm"]),
            row("raw hvac issue calls (anchor)", report["raw_hvac"]),
            "inside credbot approve + issue:",
            row("database (core.store)", parts["store"]),
            row("  of which CPU here", parts["store_cpu"]),
            row("vault (core.vault)", parts["vault"]),
            row("everything else", parts["other"]),
            f"  credbot's Vault part is {parts['vault_vs_raw_mean']:.2f}x the raw calls; "
            "database ms per contractor by store method: "
            + ", ".join(
                f"{method} {m['ms_per_contractor']:.2f} ({m['calls_per_contractor']:.0f})"
                for method, m in parts["store_by_method"].items()
            ),
            f"ratio credbot/raw: mean {report['ratio_mean']:.2f}x, p50 {report['ratio_p50']:.2f}x "
            f"(issue only: {report['issue_only_ratio_mean']:.2f}x, "
            f"{report['issue_only_ratio_p50']:.2f}x)",
            f"goal <= {report['goal']}x (both ratios, approve + issue): "
            f"{'MET' if report['goal_met'] else 'NOT MET'}",
        ]
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.issue_latency",
        description="Approval to DM: credbot approve + issue vs the raw Vault calls of an issue.",
    )
    parser.add_argument("--contractors", type=int, default=40, help="approvals timed (40)")
    parser.add_argument(
        "--database",
        choices=[*DATABASES, "both"],
        default="both",
        help="credbot's database: a SQLite file, a throwaway PostgreSQL, or each in turn (both)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    if args.contractors < 2:
        parser.error("--contractors must be at least 2")
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
            with issue_bench(bao, kind, workdir, pg) as bench:
                reports.append(measure(bench, contractors=args.contractors, label=kind))
    if args.json:
        print(json.dumps({"benchmark": "issue_latency", "databases": reports}, indent=2))
    else:
        print("\n\n".join(render(report) for report in reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
