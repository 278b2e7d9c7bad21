"""``python -m bench.failover``: the failover scenario of ``tests/faults/test_failover.py``,
bigger, with its figures.

Three ``credbot serve`` replicas on one throwaway PostgreSQL cluster reach a three-node
OpenBao Raft cluster through a failover proxy; ``--contractors`` are onboarded, approved,
enrolled and (every other one) offboarded, ``--concurrency`` at a time; once
``--kill-when-active`` of them are active, one replica and the active OpenBao node are
SIGKILLed at once. It prints how long the cluster took to have an active node again and to
answer through the proxy, which requests failed and how they were retried, and whether the
checks held (one link DM per issue, every offboarded contractor revoked with a complete
proof and refused at login, nothing pending after the sweep, the audit chain and its anchor
intact). Always exits 0: it measures; the test asserts.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench._setup import postgres, progress
from tests.support.failover import run_scenario, running
from tests.support.failover_checks import verify
from tests.support.failover_report import as_text, figures


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.failover",
        description="Lose a credbot replica and the active OpenBao node mid-flight; measure.",
    )
    parser.add_argument("--contractors", type=int, default=60, help="contractors (60)")
    parser.add_argument("--concurrency", type=int, default=12, help="flows at once (12)")
    parser.add_argument(
        "--kill-when-active",
        type=int,
        default=15,
        help="kill once this many contractors are active (15)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    if not 0 < args.kill_when_active <= args.contractors or args.concurrency < 1:
        parser.error("need 0 < --kill-when-active <= --contractors and --concurrency >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="credbot-bench-") as tmp, postgres() as server:
        database_url = server.create_database()
        progress("starting three OpenBao Raft nodes, PostgreSQL and three credbot replicas")
        with running(Path(tmp), database_url) as rig:
            progress(f"running {args.contractors} contractors, {args.concurrency} at a time")
            run = run_scenario(
                rig,
                contractors=args.contractors,
                concurrency=args.concurrency,
                kill_when_active=args.kill_when_active,
            )
            progress("checking: final sweep, audit chain and anchor, logins")
            data = figures(rig, run, verify(rig, run))
    print(json.dumps(data, indent=2) if args.json else as_text(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
