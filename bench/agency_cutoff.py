"""Cutting a whole agency off at scale: credbot's cut-off of N contractors vs the raw Vault
calls that revoke N accounts, at the same concurrency, on real OpenBao and PostgreSQL.

- credbot: a second admin's ``confirm_cutoff`` and then ``carry_out`` (listing the domain,
  the sweep's batched revocation path with its claims, ``revoking``/``revoked`` and their
  audit events, the listing again for stragglers, the receipt and its audit event). The
  admin's request before it (which lists the domain for the preview) is timed on its own.
- raw (the anchor): ``bench._raw.raw_revoke`` (the calls of ``vault.revocation`` in its four
  rounds, each concurrent on a pool of five) fanned out over as many threads as the sweep has
  workers, with nothing else.

Every account on both sides is live (a daily login's token; ``logged_in_account``), and so are
the accounts of a second agency whose email domain differs only by a prefix
(``evil-agency.example``): after the run every token of the cut agency and of the raw side must
be refused and every token of the other agency must still work. Drift lands on both sides:
raw first half, then credbot's cut-off of all N, then raw second half. PostgreSQL only (the
rows are loaded with ``COPY``; see ``bench.sweep``). Always exits 0; it says whether the goal
(credbot <= 1.3x raw) was met.

Run ``python -m bench.agency_cutoff --help``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench._raw import raw_revoke
from bench._setup import (
    LINK_TTL,
    BaoEnv,
    LiveAccount,
    Stopwatch,
    TimedProxy,
    add_sweep_arguments,
    load_average,
    log_in,
    make_core,
    openbao,
    postgres,
)
from bench._setup import progress as say
from bench.sweep import Rows, copy_rows, count_surviving_tokens, new_database
from bot.core import agency_cutoff, issuing
from bot.core.states import State
from bot.core.sweep import SweepOptions
from bot.storage.agencies import SqlAgencies
from bot.storage.store import SqlStore
from tests.support.postgres import PostgresServer
from vault.accounts import VaultAccounts
from vault.errors import VaultUnavailable

GOAL = 1.3
SETUP_THREADS = 8
"""Fewer than ``bench.sweep``'s 16: on a loaded machine 16 make OpenBao time out."""
DOMAIN = "agency.example"
OTHER_DOMAIN = "evil-agency.example"
ADMIN, ADMIN2 = "UBENCHADM1", "UBENCHADM2"


def logged_in_account(accounts: VaultAccounts, addr: str) -> LiveAccount:
    """An active account with one live token from a daily login (password and code): what a
    revocation has to destroy (user, entity, MFA secret, login lease). Cheaper than
    ``bench._setup.prepare_live_account``: no first-login proof (a login whose token ends at
    once, so it leaves nothing to revoke). The role policy is needed: the token's
    ``lookup-self`` is how the run tells a live token from a refused one. A try Vault did not
    answer (a loaded machine) is made again under a new name."""
    for attempt in range(3):
        try:
            username = issuing.new_username()
            issued = accounts.issue_account(username=username, wrap_ttl=LINK_TTL)
            secrets = accounts.unwrap_account(username=username, delivery=issued.delivery)
            accounts.activate_account(username=username, role="reviewer")
            return LiveAccount(username=username, token=log_in(addr, secrets))
        except VaultUnavailable:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def prepare(accounts: VaultAccounts, addr: str, count: int) -> list[LiveAccount]:
    """``count`` accounts on ``SETUP_THREADS`` threads."""
    with ThreadPoolExecutor(max_workers=SETUP_THREADS) as pool:
        return list(pool.map(lambda _: logged_in_account(accounts, addr), range(count)))


def raw_revocations(bao: BaoEnv, usernames: Sequence[str], *, workers: int) -> float:
    """Revoke ``usernames`` with ``workers`` threads sharing one raw pool of five; seconds."""
    raw = bao.raw_vault()
    try:
        with ThreadPoolExecutor(max_workers=workers) as outer:
            start = time.perf_counter()
            proofs = list(outer.map(lambda name: raw_revoke(raw, name), usernames))
            elapsed = time.perf_counter() - start
    finally:
        raw.close()
    if not all(proof.complete for proof in proofs):
        raise RuntimeError("a raw revocation is incomplete")
    return elapsed


def bench_cutoff(
    bao: BaoEnv, pg: PostgresServer, *, count: int, others: int, workers: int, batch: int
) -> dict[str, Any]:
    say(f"preparing {count} + {count} + {others} live Vault accounts")
    setup_start = time.perf_counter()
    accounts = bao.bot_accounts()
    ours = prepare(accounts, bao.addr, count)
    raw_side = prepare(accounts, bao.addr, count)
    theirs = prepare(accounts, bao.addr, others)
    setup_vault_s = time.perf_counter() - setup_start

    _, engine = new_database(pg)
    now = datetime.now(UTC)
    later = now.date() + timedelta(days=30)
    rows = Rows()
    for i, account in enumerate(ours + theirs):
        rows.add(
            state=State.ACTIVE,
            username=account.username,
            end_date=later,
            slack_user_id=f"UA{i:08d}",
            now=now,
        )
    copy_rows(engine, rows)  # every email is at DOMAIN; move the other agency's people
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE contractors SET email = replace(email, :a, :b) WHERE slack_user_id >= :f"
            ),
            {"a": f"@{DOMAIN}", "b": f"@{OTHER_DOMAIN}", "f": f"UA{count:08d}"},
        )

    store_watch, vault_watch = Stopwatch(), Stopwatch()
    sql = SqlStore(engine=engine)
    core = replace(
        make_core(TimedProxy(sql, store_watch), TimedProxy(accounts, vault_watch)),
        agencies=SqlAgencies(engine=engine),
    )
    options = SweepOptions(worker="bench-cutoff", workers=workers, batch=batch)

    load_before = load_average()
    start = time.perf_counter()
    cutoff, preview = agency_cutoff.request_cutoff(core, DOMAIN, actor=ADMIN, reason="benchmark")
    request_s = time.perf_counter() - start
    if len(preview.affected) != count:
        raise RuntimeError(f"the preview shows {len(preview.affected)}, not {count}")

    half = count // 2
    usernames = [a.username for a in raw_side]
    say(f"raw A ({half}), credbot cut-off ({count}), raw B ({count - half}); {workers} workers")
    raw_s = raw_revocations(bao, usernames[:half], workers=workers) if half else 0.0
    seen: list[int] = []
    store_watch.reset(everything=True)
    vault_watch.reset()
    start = time.perf_counter()
    confirmed = agency_cutoff.confirm_cutoff(core, cutoff.id, actor=ADMIN2)
    receipt = agency_cutoff.carry_out(
        core, confirmed, options=options, progress=lambda done, _total: seen.append(done)
    )
    cutoff_s = time.perf_counter() - start
    raw_s += raw_revocations(bao, usernames[half:], workers=workers)
    load_after = load_average()

    surviving = count_surviving_tokens(bao.addr, [a.token for a in ours + raw_side])
    others_refused = len(theirs) - count_surviving_tokens(bao.addr, [a.token for a in theirs])
    engine.dispose()
    if len(receipt.revoked) != count or receipt.pending or surviving or others_refused:
        raise RuntimeError(
            f"revoked {len(receipt.revoked)} of {count}, {len(receipt.pending)} pending, "
            f"{surviving} tokens alive, {others_refused} of the other agency's refused"
        )
    ratio = cutoff_s / raw_s
    return {
        "contractors": count,
        "other_agency_contractors": others,
        "workers": workers,
        "batch": batch,
        "setup_vault_s": setup_vault_s,
        "request_s": request_s,
        "cutoff_s": cutoff_s,
        "raw_s": raw_s,
        "cutoff_ms_per_contractor": cutoff_s * 1000 / count,
        "raw_ms_per_contractor": raw_s * 1000 / count,
        "progress_reports": len(seen),
        "db_busy_ms_per_contractor": store_watch.total_ns / 1e6 / count,
        "vault_busy_ms_per_contractor": vault_watch.total_ns / 1e6 / count,
        "ratio": ratio,
        "goal": GOAL,
        "goal_met": ratio <= GOAL,
        "tokens_surviving": surviving,
        "other_agency_tokens_refused": others_refused,
        "load_average_1min": {"before": load_before, "after": load_after},
    }


def render(report: dict[str, Any]) -> str:
    r = report
    verdict = "MET" if r["goal_met"] else "NOT MET"
    return "\n".join(
        [
            f"agency cut-off: {r['contractors']} contractors at {DOMAIN} "
            f"({r['other_agency_contractors']} at {OTHER_DOMAIN} must keep access), "
            f"{r['workers']} workers, batches of up to "
            f"{r['batch']}; Vault set-up {r['setup_vault_s']:.1f} s",
            f"  {'':<34}{'wall s':>9}{'ms/contractor':>15}",
            f"  {'credbot: confirm + carry_out':<34}{r['cutoff_s']:>9.2f}"
            f"{r['cutoff_ms_per_contractor']:>15.2f}",
            f"  {'raw hvac calls (anchor)':<34}{r['raw_s']:>9.2f}"
            f"{r['raw_ms_per_contractor']:>15.2f}",
            f"  the request before it (preview of {r['contractors']}): {r['request_s']:.3f} s; "
            f"{r['progress_reports']} progress reports",
            f"  busy per contractor (summed over threads): database "
            f"{r['db_busy_ms_per_contractor']:.2f} ms, "
            f"Vault {r['vault_busy_ms_per_contractor']:.2f} ms",
            f"  after: {r['tokens_surviving']} tokens of the cut agency or the raw side work; "
            f"{r['other_agency_tokens_refused']} of the other agency's refused",
            f"ratio credbot/raw {r['ratio']:.2f}x, goal <= {r['goal']}x: {verdict}; load average "
            f"{r['load_average_1min']['before']:.2f} -> {r['load_average_1min']['after']:.2f}",
        ]
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.agency_cutoff",
        description="An agency cut-off of N contractors vs the raw revocation calls.",
    )
    parser.add_argument("--contractors", type=int, default=1000, help="at the agency (1000)")
    parser.add_argument(
        "--others", type=int, default=20, help="at another agency, who keep access (20)"
    )
    add_sweep_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    if min(args.contractors, args.others, args.workers, args.batch) < 1:
        parser.error("every count must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="credbot-bench-agency-") as tmp,
        openbao(Path(tmp)) as bao,
        postgres() as pg,
    ):
        report = bench_cutoff(
            bao,
            pg,
            count=args.contractors,
            others=args.others,
            workers=args.workers,
            batch=args.batch,
        )
    print(
        json.dumps({"benchmark": "agency_cutoff", **report}, indent=2)
        if args.json
        else render(report)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
