"""The failover scenario ("survive the loss of any one machine"), shared by
``tests/faults/test_failover.py`` and ``python -m bench.failover``.

Three ``credbot serve`` replicas on one PostgreSQL database reach a three-node OpenBao Raft
cluster (``tests.support.raft``) through one address, a failover proxy
(``tests.support.failover_proxy``) standing where a load balancer stands: ``VAULT_ADDR``
holds one address, and pointing each replica at its own node would tie the replica's life to
that node's (a replica whose node died would be useless though alive). Contractors are
onboarded, approved, enrolled and offboarded concurrently (``tests.support.failover_flow``);
once a few are active, one replica and the active OpenBao node are SIGKILLed at the same
moment, the cluster elects a new leader, and the flows keep going. ``Outage`` records how
long the cluster and credbot took to answer again.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.dev.slack_requests import SignedSlack
from bot.dev.slack_standin import SlackStandIn
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade
from bot.storage.store import SqlStore
from tests.support.failover_flow import Flow
from tests.support.failover_proxy import FailoverProxy
from tests.support.failover_world import Replica, World
from tests.support.raft import RaftCluster
from tests.support.serve import start_serve
from tests.support.slack import SECRET, populate, slack_env
from vault.setup import generate_secret_id, initialize, read_role_id

REPLICAS = 3
OUTAGE_POLL_S = 0.05
OUTAGE_LIMIT_S = 60.0


@dataclass
class Rig:
    """Everything running: the cluster, the proxy, the stand-in, the replicas and their
    output (read continuously: a full pipe would stall a replica)."""

    cluster: RaftCluster
    proxy: FailoverProxy
    standin: SlackStandIn
    replicas: list[Replica]
    store: SqlStore
    """The driver's own view of the database (reads only)."""
    env: dict[str, str] = field(repr=False)
    output: dict[str, list[str]] = field(default_factory=dict)
    setup_s: float = 0.0

    def world(self) -> World:
        return World(self.replicas, self.standin, self.store, self.proxy.addr)

    def log_of(self, replica: Replica) -> str:
        return "".join(self.output[replica.name])


@contextmanager
def running(base_dir: Path, database_url: str) -> Iterator[Rig]:
    """Start the cluster, the proxy, Vault's set-up (``vault.setup.initialize`` with the
    root token), the stand-in and the replicas (AppRole, one secret ID); stop them all."""
    started = time.monotonic()
    with ExitStack() as stack:
        cluster = RaftCluster.start(base_dir / "openbao")
        stack.callback(cluster.stop)
        proxy = FailoverProxy([("127.0.0.1", node.api_port) for node in cluster.nodes]).start()
        stack.callback(proxy.stop)
        standin = SlackStandIn().start()
        stack.callback(standin.stop)
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        root = cluster.root_client(proxy.addr)
        initialize(root)
        secret_id, _ = generate_secret_id(root)
        upgrade(database_url)
        populate(standin)
        env = {
            **slack_env(standin),
            "VAULT_ADDR": proxy.addr,
            "VAULT_ROLE_ID": read_role_id(root),
            "VAULT_SECRET_ID": secret_id,
            "CREDBOT_DATABASE_URL": database_url,
            "CREDBOT_SWEEP_INTERVAL": "0",
            "CREDBOT_LINK_TTL": "1h",
        }
        rig = Rig(cluster, proxy, standin, [], SqlStore(engine=engine), env)
        stack.callback(_stop, rig.replicas)
        with ThreadPoolExecutor(REPLICAS) as pool:
            starting = [pool.submit(start_serve, env) for _ in range(REPLICAS)]
        for number, future in enumerate(starting, start=1):
            if future.exception() is None:
                served = future.result()
                replica = Replica(f"replica-{number}", served, SignedSlack(served.url, SECRET))
                rig.replicas.append(replica)
                rig.output[replica.name] = _drain(replica)
        assert len(rig.replicas) == REPLICAS, [f.exception() for f in starting]
        rig.setup_s = time.monotonic() - started
        yield rig


def _stop(replicas: list[Replica]) -> None:
    """SIGTERM the live replicas (as an orchestrator stops them) and wait for every one."""
    for replica in replicas:
        if replica.alive:
            replica.served.process.send_signal(signal.SIGTERM)
    for replica in replicas:
        replica.served.process.wait(timeout=30)


def _drain(replica: Replica) -> list[str]:
    """Read the replica's output into a list, in a thread, until it exits."""
    lines: list[str] = []
    stream = replica.served.process.stdout
    assert stream is not None

    def read() -> None:
        for line in stream:
            lines.append(line)

    threading.Thread(target=read, name=f"{replica.name}-output", daemon=True).start()
    return lines


@dataclass
class Outage:
    """The failures injected at one moment, and how long recovery took (seconds after it)."""

    replica: str
    node: str
    at: float
    """``time.monotonic()`` of the kills."""
    wall: datetime
    """The same moment by the clock (OpenBao's log times)."""
    new_active: str | None = None
    active_after_s: float | None = None
    """Until another node said active (``sys/health`` 200): Raft's election and the step-up."""
    vault_after_s: float | None = None
    """Until a request through the proxy succeeded again (``auth/token/lookup-self``)."""
    stages: dict[str, int] = field(default_factory=dict)
    """How many flows were at which stage when the machines died."""
    elections: list[float] = field(default_factory=list)
    """Seconds after the kills at which a node's Raft became leader (read from the logs once
    the run is over): the first is the election; more mean leadership moved again."""


def inject(rig: Rig, flows: list[Flow], victim: Replica) -> Outage:
    """SIGKILL ``victim`` and the active OpenBao node at once; wait for the cluster to have an
    active node again and for a request through the proxy to succeed. Each is timed when its
    own probe answers (polled every ``OUTAGE_POLL_S``)."""
    node = rig.cluster.active()
    assert node is not None, "no active OpenBao node to kill"
    stages = _stages(rig.world(), flows)
    node.kill()
    victim.kill()
    outage = Outage(victim.name, node.name, time.monotonic(), datetime.now(UTC), stages=stages)
    lookup = f"{rig.proxy.addr}/v1/auth/token/lookup-self"
    while outage.active_after_s is None or outage.vault_after_s is None:
        elapsed = time.monotonic() - outage.at
        assert elapsed < OUTAGE_LIMIT_S, f"no recovery after {elapsed:.0f}s:\n{rig.cluster.logs()}"
        if outage.active_after_s is None and (active := rig.cluster.active()) is not None:
            outage.new_active, outage.active_after_s = active.name, time.monotonic() - outage.at
        if outage.vault_after_s is None and _answers(lookup, rig.cluster.root_token):
            outage.vault_after_s = time.monotonic() - outage.at
        time.sleep(OUTAGE_POLL_S)
    return outage


def elections(rig: Rig, outage: Outage) -> list[float]:
    """Seconds after the kills at which some node's Raft became leader, in order."""
    return sorted(
        (at - outage.wall).total_seconds()
        for node in rig.cluster.nodes
        for at in node.leader_since(outage.wall)
    )


def _answers(url: str, token: str) -> bool:
    try:
        return httpx.get(url, headers={"X-Vault-Token": token}, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _stages(world: World, flows: list[Flow]) -> dict[str, int]:
    stages: dict[str, int] = {}
    for flow in flows:
        record = world.record(flow.slack_user)
        stage = record.state.value if record else "not asked yet"
        stages[stage] = stages.get(stage, 0) + 1
    return stages


@dataclass
class Run:
    """What a scenario run did."""

    flows: list[Flow]
    world: World
    outage: Outage
    wall_s: float
    errors: list[BaseException]


def run_scenario(rig: Rig, *, contractors: int, concurrency: int, kill_when_active: int) -> Run:
    """Run ``contractors`` flows, ``concurrency`` at a time (every other one offboarded after
    enrolment); kill a replica and the active node once ``kill_when_active`` are active."""
    world = rig.world()
    flows = [
        Flow(world, f"UFAIL{number:05d}", offboard_after=number % 2 == 0)
        for number in range(contractors)
    ]
    for flow in flows:
        rig.standin.add_user(flow.slack_user, name=flow.name, email=flow.email)
    started = time.monotonic()
    errors: list[BaseException] = []
    with ThreadPoolExecutor(concurrency, thread_name_prefix="flow") as pool:
        futures = [pool.submit(flow.run) for flow in flows]
        while sum(flow.active_at is not None for flow in flows) < kill_when_active:
            if all(future.done() for future in futures):
                break
            time.sleep(OUTAGE_POLL_S)
        outage = inject(rig, flows, rig.replicas[0])
        for future in futures:
            if (error := future.exception()) is not None:
                errors.append(error)
    outage.elections = elections(rig, outage)
    return Run(flows, world, outage, time.monotonic() - started, errors)


def load() -> str:
    """The machine's load average, for figures (``uptime``'s numbers)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"
