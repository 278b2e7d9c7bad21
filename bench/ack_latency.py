"""Slash-command ack latency: credbot's real app versus a bare Bolt app that only acks.

    python -m bench.ack_latency [--concurrency 50] [--rounds 6] [--json]

Both apps are served by uvicorn on loopback, in this process, behind the same Starlette route
(``bot.web.slack_endpoint.slack_route``: Bolt's dispatch in a worker thread). Each round fires
``--concurrency`` Slack-signed ``/contractor`` requests at once (threads released by a barrier)
and times each until its HTTP answer (the ack). Rounds alternate which side goes first.

- **credbot**: ``bot.wiring.build_server`` on a SQLite file and a local OpenBao dev server (the
  bot on its AppRole), Slack's Web API on the local stand-in. The command is the heaviest one:
  an inline ``onboard`` of a new contractor each time, whose work after the ack calls
  ``users.info``, writes the request and its checks with audit events, and posts the approval
  card. Signature check, replay guard, parsing and role check all run before the ack.
- **bare**: ``slack_bolt.App`` with a ``/contractor`` listener that only calls ``ack()``,
  Bolt's own request verification, same stand-in client.

Goal: credbot's p99 <= 1.2x the bare app's p99. Exits 0 and prints what it found.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from starlette.applications import Starlette

from bot import wiring
from bot.config import load_settings
from bot.dev.openbao import OpenBaoDevServer, free_port
from bot.dev.server import BackgroundServer
from bot.dev.slack_requests import SignedSlack
from bot.dev.slack_standin import STANDIN_BOT_TOKEN, SlackStandIn
from bot.web.slack_endpoint import slack_route

MANAGER = "UBENCHMGR"
APPROVER = "UBENCHAPP"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def fire(slack: SignedSlack, texts: list[str], standin: SlackStandIn) -> list[float]:
    """Send every text at once; return each request's time to its answer (s)."""
    barrier = threading.Barrier(len(texts))
    out: list[float] = [0.0] * len(texts)

    def one(i: int) -> None:
        barrier.wait()
        reply = slack.command(texts[i], user_id=MANAGER, response_url=standin.response_url())
        if reply.status != 200:
            raise RuntimeError(f"answer {reply.status}: {reply.text}")
        out[i] = reply.elapsed_s

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def bare_app(secret: str, client: WebClient) -> Starlette:
    app = App(client=client, signing_secret=secret, token_verification_enabled=False)

    def contractor(ack: Ack) -> None:
        ack()

    app.command("/contractor")(contractor)
    return Starlette(routes=[slack_route(app, signing_secret=secret)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="credbot-bench-ack-"))
    vault = OpenBaoDevServer(log_path=work / "openbao.log").start()
    standin = SlackStandIn().start()
    servers: list[BackgroundServer] = []
    try:
        base = load_settings({})
        admin = base.model_copy(update={"vault_addr": vault.addr, "vault_token": vault.root_token})
        _, role_id = wiring.init_vault(admin)
        wiring.write_secret_id(admin, work / "secret-id")
        port = free_port()
        secret = secrets.token_hex(16)
        settings = base.model_copy(
            update={
                "vault_addr": vault.addr,
                "vault_role_id": role_id,
                "vault_secret_id": (work / "secret-id").read_text().strip(),
                "database_url": f"sqlite:///{work / 'credbot.sqlite3'}",
                "slack_bot_token": STANDIN_BOT_TOKEN,
                "slack_signing_secret": secret,
                "slack_api_url": standin.api_url,
                "public_url": f"http://127.0.0.1:{port}",
                "managers": (MANAGER,),
                "approvers": (APPROVER,),
                "approval_channel": "CBENCH",
                "allowed_countries": ("DE",),
                "allowed_email_domains": ("agency.example",),
            }
        )
        wiring.upgrade_database(settings)
        credbot = BackgroundServer(wiring.build_server(settings), port=port).start()
        bare = BackgroundServer(
            bare_app(secret, WebClient(token=STANDIN_BOT_TOKEN, base_url=standin.api_url))
        ).start()
        servers += [credbot, bare]
        sides = {"credbot": SignedSlack(credbot.url, secret), "bare": SignedSlack(bare.url, secret)}
        end = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
        counter = iter(range(10**9))

        def texts(side: str) -> list[str]:
            if side == "bare":
                return ["help"] * args.concurrency
            out = []
            for _ in range(args.concurrency):
                user = f"UBENCH{next(counter):06d}"
                standin.add_user(user, name=user, email=f"{user.lower()}@agency.example")
                out.append(f"onboard <@{user}> country=DE end={end} role=reviewer bench")
            return out

        for side, slack in sides.items():  # warm-up: auth.test, connection pools, imports
            fire(slack, texts(side)[:5], standin)
        samples: dict[str, list[float]] = {"credbot": [], "bare": []}
        for round_no in range(args.rounds):
            order = ["credbot", "bare"] if round_no % 2 == 0 else ["bare", "credbot"]
            for side in order:
                samples[side] += fire(sides[side], texts(side), standin)
                time.sleep(0.5)
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
        time.sleep(2)  # let credbot's post-ack work finish before the servers stop
    finally:
        for server in servers:
            server.stop()
        standin.stop()
        vault.stop()

    result: dict[str, Any] = {"concurrency": args.concurrency, "rounds": args.rounds}
    for side, values in samples.items():
        result[side] = {
            "n": len(values),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
            "mean_ms": round(statistics.mean(values) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
        }
    ratio = result["credbot"]["p99_ms"] / max(result["bare"]["p99_ms"], 0.001)
    result["p99_ratio"] = round(ratio, 2)
    result["goal_met"] = ratio <= 1.2
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.concurrency} concurrent signed /contractor requests x {args.rounds} rounds")
    print(f"{'side':<8} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}")
    for side in ("credbot", "bare"):
        r = result[side]
        print(
            f"{side:<8} {r['n']:>5} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['mean_ms']:>8}"
            f" {r['max_ms']:>8}"
        )
    verdict = "met" if result["goal_met"] else "NOT met"
    print(f"p99 credbot/bare = {result['p99_ratio']}x (goal <= 1.2x: {verdict})")


if __name__ == "__main__":
    main()
