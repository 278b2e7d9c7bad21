"""Pytest plugin: a throwaway PostgreSQL server and database fixtures for both backends.

Fixtures:
- ``postgres_server`` (session, one per xdist worker): a running ``PostgresServer``; ``.url``
  is a SQLAlchemy URL of its ``postgres`` database, ``.restart()`` restarts it,
  ``.create_database()`` makes a new one.
- ``postgres_url`` (session): ``postgres_server.url``.
- ``postgres_template`` / ``sqlite_template`` (session): a database migrated to head once per
  session (per worker); every migrated test database is a copy of it, so the migrations run
  once per worker, not once per test (``tests/storage/test_migrations.py`` runs them itself).
- ``postgres_database_url`` (function): a fresh PostgreSQL database migrated to head.
- ``db_backend`` (function): ``sqlite`` or ``postgres``, chosen by ``tests.support.layers``:
  both where the backend matters (``tests/storage``, ``tests/faults``, tests marked
  ``both_databases``; every test with ``--all-databases``), SQLite elsewhere.
- ``empty_database_url`` (function): a fresh, empty database on ``db_backend`` (a temp SQLite
  file, or a new PostgreSQL database).
- ``database_url`` (function): a fresh database on ``db_backend`` migrated to head (a copy of
  the session's template: ``CREATE DATABASE ... TEMPLATE``, or a copied SQLite file).
- ``engine`` (function): ``make_engine(database_url)``, disposed afterwards.
- ``store`` (function): ``SqlStore(engine=engine)``.
- ``seen_requests``, ``leases`` (function): the replay memory and the leases on ``engine``.

The server runs as the ``postgres`` OS user when the tests run as root (PostgreSQL refuses to
run as root), listens on a free loopback port, keeps its socket in its own temp dir and trusts
every local connection. fsync is off and the cluster sits in RAM when it can: the data is
thrown away anyway.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.storage.agencies import SqlAgencies
from bot.storage.engine import make_engine
from bot.storage.leases import SqlLeases
from bot.storage.migrate import upgrade
from bot.storage.seen_requests import SqlSeenRequests
from bot.storage.store import SqlStore
from tests.support.layers import refuse_in_fast_layer
from tests.support.ports import free_port

T = TypeVar("T")

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"


def find_pg_bin() -> Path:
    """The newest PostgreSQL ``bin`` directory holding ``initdb`` and ``pg_ctl``."""
    candidates = [
        Path(path)
        for path in glob(PG_BIN_GLOB)
        if (Path(path) / "initdb").exists() and (Path(path) / "pg_ctl").exists()
    ]
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL server binaries (initdb, pg_ctl) not found under {PG_BIN_GLOB}; "
            "install the Debian package `postgresql` (apt-get install postgresql)"
        )
    return max(candidates, key=lambda path: int(path.parent.name.split(".")[0]))


def scratch_dir() -> str:
    """Where the server's temp dir goes: the system temp dir, which the ``postgres`` user can
    traverse (pytest's own temp dirs are private to root)."""
    return tempfile.gettempdir()


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temp dir, controlled with ``pg_ctl``."""

    bin_dir: Path
    base_dir: Path
    port: int
    user: str = SERVER_USER

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` maintenance database."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = [_runuser(), "-u", SERVER_USER, "--", *command]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({completed.returncode}):\n"
                f"{completed.stdout}{completed.stderr}\n{log[-3000:]}"
            )

    def init(self) -> None:
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.base_dir, SERVER_USER)
            shutil.chown(self.socket_dir, SERVER_USER)
        self._run(
            "initdb",
            "-D", str(self.data_dir),
            "-U", self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300"
        )
        self._run("pg_ctl", "start", "-w", "-D", str(self.data_dir), "-l", str(self.log_file),
                  "-o", options)  # fmt: skip

    def restart(self) -> None:
        """Restart the server (fast shutdown: every open connection is cut)."""
        self._run("pg_ctl", "restart", "-w", "-m", "fast", "-D", str(self.data_dir),
                  "-l", str(self.log_file))  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data_dir))

    def create_database(self, *, template: str | None = None) -> str:
        """Create a database with a unique name (empty, or a copy of the database named
        ``template``, which nobody may be connected to); return its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{copy}')
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        name = sa.make_url(url).database
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()


START_ATTEMPTS = 3
"""Tries on fresh ports: another xdist worker may take a free port between probe and bind."""


def start_postgres(base_dir: Path) -> PostgresServer:
    """Initialise a cluster in ``base_dir`` and start it on a free port (retried on another
    port if one was taken meanwhile)."""
    server = PostgresServer(bin_dir=find_pg_bin(), base_dir=base_dir, port=free_port())
    server.init()
    for attempt in range(START_ATTEMPTS):
        try:
            server.start()
            return server
        except RuntimeError:
            if attempt == START_ATTEMPTS - 1:
                raise
            server.port = free_port()
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """A running throwaway PostgreSQL server for the whole test session (of this worker)."""
    refuse_in_fast_layer(request, "PostgreSQL")
    base_dir = Path(tempfile.mkdtemp(prefix="credbot-pg-", dir=scratch_dir()))
    try:
        server = start_postgres(base_dir)
        yield server
        server.stop()
    finally:
        shutil.rmtree(base_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL of the session server's ``postgres`` database."""
    return postgres_server.url


class Copies:
    """Copies of a migrated template database, made ahead on a background thread while tests
    run (a ``CREATE DATABASE ... TEMPLATE`` takes about half a second on two busy cores, which
    every PostgreSQL test would otherwise wait for), and dropped on it afterwards."""

    AHEAD = 2

    def __init__(self, server: PostgresServer, template: str) -> None:
        self._server = server
        self._template = template
        self._ready: queue.Queue[str | BaseException] = queue.Queue(maxsize=self.AHEAD)
        self._dropping: queue.Queue[str | None] = queue.Queue()
        self._stopped = threading.Event()
        self._threads = [
            threading.Thread(target=self._make, name="pg-copies", daemon=True),
            threading.Thread(target=self._drop, name="pg-drops", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def take(self) -> str:
        """A fresh copy (waits for one if none is ready; re-raises the maker's failure)."""
        made = self._ready.get(timeout=120)
        if isinstance(made, BaseException):
            raise made
        return made

    def give_back(self, url: str) -> None:
        """Drop ``url`` in the background."""
        self._dropping.put(url)

    def close(self) -> None:
        """Stop making copies and drop what is left."""
        self._stopped.set()
        while not self._ready.empty():
            made = self._ready.get_nowait()
            if isinstance(made, str):
                self._dropping.put(made)
        self._dropping.put(None)
        for thread in self._threads:
            thread.join(timeout=30)

    def _make(self) -> None:
        while not self._stopped.is_set():
            try:
                made: str | BaseException = self._retrying(
                    lambda: self._server.create_database(template=self._template)
                )
            except Exception as exc:  # handed to the test that takes it
                made = exc
            while not self._stopped.is_set():
                try:
                    self._ready.put(made, timeout=0.5)
                    break
                except queue.Full:
                    continue
            else:
                if isinstance(made, str):
                    self._dropping.put(made)

    def _drop(self) -> None:
        while (url := self._dropping.get()) is not None:
            with suppress(Exception):  # a server stopped at the end of the session
                self._retrying(lambda url=url: self._server.drop_database(url))  # type: ignore[misc]

    @staticmethod
    def _retrying(work: Callable[[], T]) -> T:
        """``work``, tried again while the server restarts (tests restart it on purpose)."""
        for attempt in range(50):
            try:
                return work()
            except sa.exc.OperationalError:
                if attempt == 49:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """The name of a database on the session server migrated to head once (the migration,
    not ``create_all``, makes it); tests get copies of it, never it."""
    url = postgres_server.create_database()
    upgrade(url)  # disposes its engine: nobody stays connected to the template
    name = sa.make_url(url).database
    assert name is not None
    return name


@pytest.fixture(scope="session")
def postgres_copies(postgres_server: PostgresServer, postgres_template: str) -> Iterator[Copies]:
    """Migrated databases made ahead of the tests that take them."""
    copies = Copies(postgres_server, postgres_template)
    yield copies
    copies.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; tests get copies of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "credbot.db"
    upgrade(f"sqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    """The URL of a copy of the migrated ``template`` in ``directory`` (owner-only, as credbot
    creates its SQLite files)."""
    path = directory / "credbot.db"
    shutil.copyfile(template, path)
    path.chmod(0o600)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_database_url(postgres_copies: Copies) -> Iterator[str]:
    """A fresh PostgreSQL database, migrated to head, dropped after the test."""
    url = postgres_copies.take()
    yield url
    postgres_copies.give_back(url)


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgres``: parametrized per test by ``tests.support.layers``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def empty_database_url(
    request: pytest.FixtureRequest, db_backend: str, tmp_path: Path
) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database on the session server."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'credbot.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated to head: a copy of the session's migrated template (a copied
    SQLite file, owner-only as credbot creates it; or ``CREATE DATABASE ... TEMPLATE``)."""
    if db_backend == "sqlite":
        yield sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    yield request.getfixturevalue("postgres_database_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The application's engine on ``database_url``."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> SqlStore:
    """A ``SqlStore`` on a fresh, migrated database (both backends)."""
    return SqlStore(engine=engine)


@pytest.fixture
def agencies(engine: Engine) -> SqlAgencies:
    """Agency cut-offs, on the test database."""
    return SqlAgencies(engine=engine)


@pytest.fixture
def seen_requests(engine: Engine) -> SqlSeenRequests:
    """The replay memory of signed Slack requests, on the test database."""
    return SqlSeenRequests(engine=engine)


@pytest.fixture
def leases(engine: Engine) -> SqlLeases:
    """The leases (which replica sweeps), on the test database."""
    return SqlLeases(engine=engine)


def _runuser() -> str:
    """``runuser`` lives in ``/usr/sbin``, which a non-login root shell (CI's
    ``PATH=/usr/bin:/bin``) does not have on ``PATH``."""
    found = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if found is None:
        raise RuntimeError("`runuser` (util-linux) not found; it starts PostgreSQL as postgres")
    return found
