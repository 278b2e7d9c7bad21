"""Enrollment page latency under concurrent clients, and approval-to-DM time vs raw Vault.

Part 1, **page latency**: ``credbot serve`` runs as its own process (the production app:
uvicorn, the enrollment pages, SQLite, OpenBao through the bot's AppRole), and 20 concurrent
clients (``httpx`` on asyncio, in this process) send

- ``GET /enroll``: the page every opened link loads, and
- ``POST /enroll/reveal`` as the page's form sends it, each on a link of its own issued
  beforehand: the confirmation-code check, the atomic claim, ``sys/wrapping/lookup`` +
  ``sys/wrapping/unwrap``, the audit event, the QR code and the HTML page.

Part 2, **approval to DM**: ``onboarding.approve`` then ``issuing.issue`` until the notifier's
``send_link`` is called (where the Slack DM goes out), against the raw hvac calls that
``VaultAccounts.issue_account`` makes, interleaved A/B, B/A. Run
``python -m bench.reveal_latency --help``. Always exits 0: it measures, it does not judge.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import hvac
import pyotp

from bench._setup import new_request
from bot.core import issuing, onboarding
from bot.core.clock import SystemClock
from bot.core.context import Core, Policy
from bot.core.models import Contractor
from bot.dev.openbao import OpenBaoDevServer, free_port
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade
from bot.storage.repository import SqlStore
from vault.accounts import PASSWORD_BYTES, SEED_LENGTH, VaultAccounts
from vault.client import connect
from vault.layout import PENDING_MOUNT, PENDING_POLICY, TOTP_MOUNT, USERPASS_MOUNT
from vault.setup import generate_secret_id, initialize, read_role_id

GOAL = 1.3
"""Approval-to-DM may take at most this many times the raw Vault calls of an issue."""
MANAGER, APPROVER = "UBENCHMGR", "UBENCHAPR"
LINK_TTL = timedelta(hours=1)
PUBLIC_URL = "https://credbot.bench"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Summary:
    """Latency figures in milliseconds."""

    n: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples_ns: Sequence[int]) -> Summary:
        ms = sorted(s / 1e6 for s in samples_ns)
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        return cls(len(ms), statistics.median(ms), cuts[89], cuts[98], statistics.fmean(ms), ms[-1])

    def line(self, name: str) -> str:
        return (
            f"{name:<28} n={self.n:<5} p50 {self.p50_ms:7.1f}  p90 {self.p90_ms:7.1f}  "
            f"p99 {self.p99_ms:7.1f}  mean {self.mean_ms:7.1f}  max {self.max_ms:7.1f} ms"
        )


class LinkRecorder:
    """A notifier that keeps the links and codes it is asked to send, and when."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []
        self.sent_at_ns = 0

    def send_link(self, contractor: Contractor, *, url: str, code: str) -> None:
        self.sent_at_ns = time.perf_counter_ns()
        self.links.append((url.rsplit("#", 1)[1], code))

    def tell_requester(self, contractor: Contractor, *, event: str, detail: str = "") -> None:
        del contractor, event, detail

    def alert_admins(self, *, summary: str, contractor: Contractor | None = None) -> None:
        del summary, contractor


@dataclass
class Env:
    addr: str
    role_id: str
    root: hvac.Client
    core: Core
    notifier: LinkRecorder
    database_url: str
    workdir: Path


@contextmanager
def environment(workdir: Path) -> Iterator[Env]:
    """OpenBao dev server set up as ``credbot vault init`` does, and a migrated SQLite file."""
    server = OpenBaoDevServer(log_path=workdir / "openbao.log").start()
    try:
        root = connect(server.addr, token=server.root_token)
        initialize(root)
        role_id = read_role_id(root)
        secret_id, _ = generate_secret_id(root)
        accounts = VaultAccounts(client=connect(server.addr, role_id=role_id, secret_id=secret_id))
        url = f"sqlite:///{workdir / 'credbot.db'}"
        upgrade(url)
        engine = make_engine(url)
        notifier = LinkRecorder()
        core = Core(
            store=SqlStore(engine=engine),
            vault=accounts,
            clock=SystemClock(),
            notifier=notifier,
            policy=Policy(public_url=PUBLIC_URL, link_ttl=LINK_TTL),
        )
        try:
            yield Env(server.addr, role_id, root, core, notifier, url, workdir)
        finally:
            engine.dispose()
    finally:
        server.stop()


def awaiting_approval(core: Core) -> str:
    """A new contractor waiting for an approver; returns the id."""
    request = new_request("enrollment benchmark")
    contractor = onboarding.request_onboarding(core, request, requester=MANAGER)
    onboarding.verify(core, contractor.id, checks=[])
    return contractor.id


# -- part 1: the page under 20 clients -----------------------------------------------------------


@contextmanager
def credbot_serve(env: Env) -> Iterator[str]:
    """``credbot serve`` in its own process, with the bot's AppRole; yields its base URL."""
    secret_id, _ = generate_secret_id(env.root)
    port = free_port()
    variables = {
        **os.environ,
        "VAULT_ADDR": env.addr,
        "VAULT_ROLE_ID": env.role_id,
        "VAULT_SECRET_ID": secret_id,
        "CREDBOT_DATABASE_URL": env.database_url,
        "CREDBOT_PUBLIC_URL": PUBLIC_URL,
        "CREDBOT_LINK_TTL": "1h",
        "CREDBOT_LOG_LEVEL": "INFO",
    }
    for name in ("VAULT_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        variables.pop(name, None)
    with (env.workdir / "serve.log").open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=variables,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"credbot serve did not start; see {output.name}")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=15)


async def load(
    base: str, jobs: list[tuple[str, str, dict[str, str] | None]], clients: int
) -> tuple[list[int], dict[int, int]]:
    """Send ``jobs`` (method, path, form) over ``clients`` keep-alive connections at once;
    return the per-request latencies and the count of each status.

    A minimal HTTP/1.1 client on asyncio streams: a general-purpose client (httpx) spends more
    CPU per request than the server's GET handler, and on two cores it would measure itself.
    """
    host, port = base.removeprefix("http://").split(":")
    queue: asyncio.Queue[tuple[str, str, dict[str, str] | None]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    samples: list[int] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while not queue.empty():
                method, path, form = queue.get_nowait()
                body = urlencode(form).encode() if form else b""
                head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
                if form is not None:
                    head += "Content-Type: application/x-www-form-urlencoded\r\n"
                    head += f"Content-Length: {len(body)}\r\n"
                start = time.perf_counter_ns()
                writer.write(head.encode() + b"\r\n" + body)
                await writer.drain()
                status_line, _, headers = (await reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in headers.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                samples.append(time.perf_counter_ns() - start)
                status = int(status_line.split()[1])
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return samples, statuses


def page_latency(env: Env, *, clients: int, gets: int, reveals: int) -> dict[str, object]:
    """GET and reveal latencies with ``clients`` concurrent clients, and with one client (the
    service time without queueing, to read the first against)."""
    single = max(20, reveals // 10)
    log(f"issuing {reveals + single} links ...")
    env.notifier.links.clear()
    for _ in range(reveals + single):
        contractor_id = awaiting_approval(env.core)
        onboarding.approve(env.core, contractor_id, approver=APPROVER)
        issuing.issue(env.core, contractor_id, actor=APPROVER)
    jobs = [("POST", "/enroll/reveal", {"secret": s, "code": c}) for s, c in env.notifier.links]
    get = ("GET", "/enroll", None)
    result: dict[str, object] = {"clients": clients}
    with credbot_serve(env) as base:
        log(f"credbot serve at {base}; warming up ...")
        asyncio.run(load(base, [get] * 50, clients))
        for name, count, jobs_here, workers in (
            ("get_1", gets // 10, [get] * (gets // 10), 1),
            ("get", gets, [get] * gets, clients),
            ("reveal_1", single, jobs[:single], 1),
            ("reveal", reveals, jobs[single:], clients),
        ):
            log(f"{count} x {jobs_here[0][0]} {jobs_here[0][1]} with {workers} client(s) ...")
            samples, statuses = asyncio.run(load(base, jobs_here, workers))
            result[name] = asdict(Summary.of(samples))
            result[f"{name}_statuses"] = statuses
    return result


# -- part 2: approval to DM vs the raw Vault calls -----------------------------------------------


def raw_issue(client: hvac.Client, accessor: str, username: str) -> None:
    """The HTTP calls ``VaultAccounts.issue_account`` makes, with a plain hvac client: the
    taken-name checks, user, TOTP key, KV write, wrapped read, KV delete."""
    adapter = client.adapter
    with suppress(hvac.exceptions.InvalidPath):
        adapter.get(f"/v1/auth/{USERPASS_MOUNT}/users/{username}")
    adapter.post(
        "/v1/identity/lookup/entity",
        json={"alias_name": username, "alias_mount_accessor": accessor},
    )
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    seed = pyotp.random_base32(SEED_LENGTH)
    uri = pyotp.TOTP(seed, issuer="credbot", name=username).provisioning_uri()
    adapter.post(
        f"/v1/auth/{USERPASS_MOUNT}/users/{username}",
        json={
            "password": password,
            "token_policies": [PENDING_POLICY],
            "token_no_default_policy": True,
            "token_ttl": "3600s",
            "token_max_ttl": "28800s",
        },
    )
    adapter.post(
        f"/v1/{TOTP_MOUNT}/keys/{username}",
        json={"generate": False, "key": seed, "issuer": "credbot", "account_name": username,
              "period": 30, "digits": 6, "algorithm": "SHA1"},
    )  # fmt: skip
    data = {"username": username, "password": password, "totp_secret": seed, "totp_uri": uri}
    adapter.post(f"/v1/{PENDING_MOUNT}/data/{username}", json={"data": data})
    wrapped = adapter.get(
        f"/v1/{PENDING_MOUNT}/data/{username}", headers={"X-Vault-Wrap-TTL": "3600s"}
    )
    if not wrapped["wrap_info"]["token"]:
        raise RuntimeError("no wrapping token")
    adapter.delete(f"/v1/{PENDING_MOUNT}/metadata/{username}")


def approval_to_dm(env: Env, *, contractors: int) -> dict[str, object]:
    secret_id, _ = generate_secret_id(env.root)
    raw = hvac.Client(url=env.addr)
    raw.auth.approle.login(role_id=env.role_id, secret_id=secret_id)
    accessor = raw.adapter.get(f"/v1/sys/auth/{USERPASS_MOUNT}")["data"]["accessor"]
    waiting = [awaiting_approval(env.core) for _ in range(contractors)]
    credbot_ns: list[int] = []
    issue_ns: list[int] = []
    raw_ns: list[int] = []
    log(f"approval to DM vs raw issue, {contractors} each, interleaved ...")
    for index, contractor_id in enumerate(waiting):

        def credbot_side(contractor_id: str = contractor_id) -> None:
            start = time.perf_counter_ns()
            onboarding.approve(env.core, contractor_id, approver=APPROVER)
            issue_start = time.perf_counter_ns()
            issuing.issue(env.core, contractor_id, actor=APPROVER)
            credbot_ns.append(env.notifier.sent_at_ns - start)
            issue_ns.append(env.notifier.sent_at_ns - issue_start)

        def raw_side() -> None:
            start = time.perf_counter_ns()
            raw_issue(raw, accessor, issuing.new_username())
            raw_ns.append(time.perf_counter_ns() - start)

        for side in (credbot_side, raw_side) if index % 2 == 0 else (raw_side, credbot_side):
            side()
    credbot, issue_only, raw_summary = (Summary.of(s) for s in (credbot_ns, issue_ns, raw_ns))
    return {
        "approval_to_dm": asdict(credbot),
        "issue_to_dm": asdict(issue_only),
        "raw_vault_calls": asdict(raw_summary),
        "ratio_mean": credbot.mean_ms / raw_summary.mean_ms,
        "ratio_p50": credbot.p50_ms / raw_summary.p50_ms,
        "goal": GOAL,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reveal_latency", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--gets", type=int, default=2000, help="GET /enroll requests (2000)")
    parser.add_argument("--reveals", type=int, default=200, help="links revealed (200)")
    parser.add_argument("--contractors", type=int, default=40, help="approvals timed (40)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="credbot-bench-") as tmp, environment(Path(tmp)) as env:
        page = page_latency(env, clients=args.clients, gets=args.gets, reveals=args.reveals)
        issue = approval_to_dm(env, contractors=args.contractors)
    result = {"page": page, "approval_to_dm": issue}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"enrollment page, credbot serve (SQLite, OpenBao), {args.clients} clients vs 1:")
    for key, name in (
        ("get", f"GET /enroll x{args.clients}"),
        ("get_1", "GET /enroll x1"),
        ("reveal", f"POST /enroll/reveal x{args.clients}"),
        ("reveal_1", "POST /enroll/reveal x1"),
    ):
        print(Summary(**page[key]).line(name), page[f"{key}_statuses"])  # type: ignore[arg-type]
    print("approval to DM (approve + issue, until send_link) vs the raw Vault calls of an issue:")
    for key, name in (
        ("approval_to_dm", "credbot approve+issue"),
        ("issue_to_dm", "credbot issue only"),
        ("raw_vault_calls", "raw hvac issue calls"),
    ):
        print(Summary(**issue[key]).line(name))  # type: ignore[arg-type]
    met = max(issue["ratio_mean"], issue["ratio_p50"]) <= GOAL  # type: ignore[call-overload]
    print(
        f"credbot/raw: {issue['ratio_mean']:.2f}x (means), {issue['ratio_p50']:.2f}x (p50s); "
        f"goal <= {GOAL}x: {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
