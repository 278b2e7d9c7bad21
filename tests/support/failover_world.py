"""What the failover scenario's flows share: the ``credbot serve`` replicas behind a load
balancer (the driver picks a live one per request, as one would), the Slack stand-in, a
read-only view of the database, and the log of every request that failed and how it was
retried.

A request that dies with its replica (connection refused or cut) is sent again to another
replica, as Slack's user would by trying again behind a load balancer. Work that a replica
acknowledged and then lost with the process (Bolt acks before the work) is noticed from
what should have followed (a card, a DM, a state) never coming while that replica is dead,
and redone from the database's state by the flow.
"""

from __future__ import annotations

import http.client
import itertools
import signal
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from bot.core.models import Contractor
from bot.dev.slack_requests import Reply, SignedSlack, block_action
from bot.dev.slack_standin import Call, SlackStandIn
from bot.storage.store import SqlStore
from tests.support.serve import Served

WAIT_S = 60.0
"""The longest any step may wait for what should follow it (a loaded CI machine)."""
LOST_AFTER_S = 1.0
"""How long after its replica died work it acknowledged may still show up (it never does:
this only covers the poll interval)."""
POLL_S = 0.05
TRANSPORT_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    httpx.TransportError,
)

T = TypeVar("T")


@dataclass
class Replica:
    """One ``credbot serve`` process and the signed-Slack client that reaches it."""

    name: str
    served: Served
    slack: SignedSlack
    killed_at: float | None = None

    @property
    def alive(self) -> bool:
        return self.killed_at is None

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no last anchor, in-flight work lost."""
        self.served.process.send_signal(signal.SIGKILL)
        self.killed_at = time.monotonic()
        self.served.process.wait()


@dataclass(frozen=True)
class Sent:
    """A Slack request a replica acknowledged: who took it, and where its replies go."""

    replica: Replica
    response_url: str


@dataclass(frozen=True)
class Failure:
    """A request that failed during the run, and what the flow did about it."""

    flow: str
    step: str
    what: str
    retry: str
    at: float
    """``time.monotonic()`` when it happened."""


@dataclass
class World:
    replicas: list[Replica]
    standin: SlackStandIn
    store: SqlStore
    vault_addr: str
    """The load balancer's address: where contractors log in."""
    failures: list[Failure] = field(default_factory=list)
    successes: list[tuple[str, float, float]] = field(default_factory=list)
    """(step, started, finished), monotonic, of every attempt that needed Vault and
    succeeded."""
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def live(self) -> list[Replica]:
        return [replica for replica in self.replicas if replica.alive]

    def pick(self) -> Replica:
        """The next live replica, in turn (a round-robin load balancer)."""
        live = self.live()
        return live[next(self._turn) % len(live)]

    def note(self, flow: str, step: str, what: str, retry: str) -> None:
        with self._lock:
            self.failures.append(Failure(flow, step, what, retry, time.monotonic()))

    def succeeded(self, step: str, started: float) -> None:
        with self._lock:
            self.successes.append((step, started, time.monotonic()))

    def send(self, flow: str, step: str, request: Callable[[Replica], T]) -> tuple[Replica, T]:
        """``request`` on a live replica; one whose connection fails is noted and the request
        goes to the next one. Returns the replica that answered, and its answer."""
        deadline = time.monotonic() + WAIT_S
        while True:
            replica = self.pick()
            try:
                return replica, request(replica)
            except TRANSPORT_ERRORS as exc:
                if time.monotonic() > deadline:
                    raise
                self.note(flow, step, f"{replica.name}: {type(exc).__name__}", "another replica")

    def slack(self, flow: str, step: str, send: Callable[[SignedSlack], Reply]) -> Replica:
        """A signed Slack request that must be acknowledged (200); returns who acked it."""
        replica, reply = self.send(flow, step, lambda r: send(r.slack))
        assert reply.status == 200, f"{flow} {step}: {reply.status} {reply.text}"
        return replica

    def command(self, flow: str, step: str, text: str, *, user: str) -> Sent:
        """``/contractor text`` typed by ``user``, acknowledged by some replica."""
        url = self.standin.response_url()
        replica = self.slack(
            flow, step, lambda slack: slack.command(text, user_id=user, response_url=url)
        )
        return Sent(replica, url)

    def click(self, flow: str, step: str, card: Call, action_id: str, *, user: str) -> Sent:
        """A click on ``card``'s button ``action_id``, acknowledged by some replica."""
        url = self.standin.response_url()
        payload = block_action(
            user_id=user,
            action_id=action_id,
            value=buttons(card)[action_id],
            channel=str(card.args.get("channel")),
            message_ts=str(card.reply["ts"]),
            response_url=url,
        )
        return Sent(self.slack(flow, step, lambda slack: slack.interact(payload)), url)

    def follows(self, sent: Sent, condition: Callable[[], bool], what: str) -> bool:
        """Wait until ``condition()`` or a reply to ``sent`` (an error, or the last word of
        the work); return ``condition()``. Work lost with the replica returns False."""
        self.wait(
            lambda: condition() or bool(self.responses(sent.response_url)), sent.replica, what
        )
        return condition()

    def wait(self, condition: Callable[[], bool], handled_by: Replica, what: str) -> bool:
        """Wait until ``condition()``: True. False once ``handled_by`` has been dead for
        ``LOST_AFTER_S`` without it (the work died with the process). ``TimeoutError``
        after ``WAIT_S``."""
        deadline = time.monotonic() + WAIT_S
        while not condition():
            killed = handled_by.killed_at
            if killed is not None and time.monotonic() - killed > LOST_AFTER_S:
                return condition()
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {WAIT_S:.0f}s for {what}")
            time.sleep(POLL_S)
        return True

    # --- what the flows look at

    def record(self, slack_user: str) -> Contractor | None:
        """The newest record of ``slack_user``."""
        found = self.store.list_contractors(slack_user_ids=[slack_user])
        return max(found, key=lambda c: c.created_at) if found else None

    def posted(self, predicate: Callable[[Call], bool]) -> list[Call]:
        """The ``chat.postMessage`` calls matching ``predicate``."""
        return [call for call in self.standin.calls("chat.postMessage") if predicate(call)]

    def reply(self, sent: Sent) -> str:
        """The last reply to ``sent``, or that its replica died before giving one."""
        replies = self.responses(sent.response_url)
        return replies[-1] if replies else f"lost with {sent.replica.name}"

    def responses(self, response_url: str) -> list[str]:
        """What the app posted to ``response_url`` (the ephemeral replies after an ack)."""
        path = "/" + response_url.split("//", 1)[1].split("/", 1)[1]
        return [
            str(c.args.get("text", ""))
            for c in self.standin.calls("respond")
            if c.args.get("url") == path
        ]


def settled(condition: Callable[[], bool], seconds: float) -> bool:
    """``condition()``, allowing ``seconds`` for work another replica may still be doing."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)
    return True


def buttons(call: Call) -> dict[str, str]:
    """A posted message's buttons: action ID -> value."""
    return {
        str(element.get("action_id")): str(element.get("value"))
        for block in call.args.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
    }
