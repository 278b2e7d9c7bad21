"""``credbot sweep`` killed with SIGKILL at random points, then run again until it exits 0.

The real command line runs as its own process against a throwaway OpenBao (logged in through
AppRole) and the test database. Each killed run may leave a contractor ``revoking`` with its
sweep claim held; the runs use ``--lease 2s`` so the rerun may take those over after two
seconds instead of ten minutes. Afterwards: every contractor is ``revoked``, Vault proves
nothing survives, the audit chain verifies, and no contractor was revoked twice.
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.core.audit import verify_chain
from bot.core.clock import FrozenClock
from bot.core.states import State
from bot.storage.store import SqlStore
from tests.faults.support import Holder, access_survives, active_holder, state_of
from tests.support.core import make_core
from tests.support.failover_proxy import FailoverProxy
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer, accounts_for
from vault.setup import generate_secret_id, read_role_id

CONTRACTORS = 10
KILLS = 4
LEASE = timedelta(seconds=2)
RUN_TIMEOUT_S = 60
REPO = Path(__file__).resolve().parents[2]


def cli_env(server: OpenBaoServer, database_url: str) -> dict[str, str]:
    root = server.root_client()
    secret_id, _ = generate_secret_id(root)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CREDBOT_", "SLACK_"))
    }
    return {
        **env,
        "VAULT_ADDR": server.addr,
        "VAULT_ROLE_ID": read_role_id(root),
        "VAULT_SECRET_ID": secret_id,
        "CREDBOT_DATABASE_URL": database_url,
        "CREDBOT_LOG_LEVEL": "WARNING",
    }


def start_sweep(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "sweep", "--json", "--force", "--lease", "2s"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL (no clean-up of any kind), then reap the process."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=RUN_TIMEOUT_S)


def wait_for_revoking(store: SqlStore, process: subprocess.Popen[str]) -> None:
    """Return as soon as some contractor is ``revoking`` (the sweep wrote its intent)."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if store.count_by_state().get(State.REVOKING):
            return
        time.sleep(0.01)
    raise AssertionError(f"no revocation started (exit {process.poll()})")


def test_sigkilled_sweeps_converge(
    throwaway_openbao: OpenBaoServer,
    database_url: str,
    store: SqlStore,
    clock: FrozenClock,
    notifier: RecordingNotifier,
) -> None:
    addr = throwaway_openbao.addr
    core = make_core(store, accounts_for(throwaway_openbao), clock, notifier)
    holders: list[Holder] = [active_holder(core, addr) for _ in range(CONTRACTORS)]
    # The CLI runs on the system clock: end every contract yesterday (test arrangement).
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE contractors SET end_date = :ended"),
            {"ended": date.today() - timedelta(days=1)},
        )
    engine.dispose()
    env = cli_env(throwaway_openbao, database_url)

    rng = random.Random(20240606)
    # The first run dies in the middle of a revocation: a contractor is "revoking" and Vault
    # has deleted a user but answered nothing yet (the proxy holds everything after the first
    # DELETE, so a fast sweep on a slow machine cannot finish before the kill). The others die
    # at random moments of start-up or work.
    vault = FailoverProxy([("127.0.0.1", throwaway_openbao.port)]).start()
    vault.hold_after(b"DELETE ")
    try:
        process = start_sweep({**env, "VAULT_ADDR": vault.addr})
        wait_for_revoking(store, process)
        time.sleep(rng.uniform(0, 0.05))
        kill(process)
    finally:
        vault.release()
        vault.stop()
    interrupted = [h for h in holders if state_of(core, h) is State.REVOKING]
    assert interrupted, "the kill was meant to interrupt a revocation"
    for _ in range(KILLS - 1):
        process = start_sweep(env)
        time.sleep(rng.uniform(0.5, 3.0))  # start-up is about a second, the work a few
        kill(process)

    codes = []
    for _ in range(5):
        time.sleep(LEASE.total_seconds() + 0.5)  # claims of a killed run lapse
        process = start_sweep(env)
        out, err = process.communicate(timeout=RUN_TIMEOUT_S)
        codes.append(process.returncode)
        if process.returncode == 0:
            assert json.loads(out)["all_done"], out
            break
        assert process.returncode == 1, err
    assert codes[-1] == 0, codes

    for holder in holders:
        assert state_of(core, holder) is State.REVOKED
        assert not access_survives(holder, addr)
    assert not set(core.vault.iter_accounts()) & {h.username for h in holders}
    events = list(store.audit_events())
    assert verify_chain(events) == []
    revoked = collections.Counter(
        e.entry.contractor_id for e in events if e.entry.action == "revoked"
    )
    assert revoked == {h.contractor.id: 1 for h in holders}
    started = collections.Counter(
        e.entry.contractor_id for e in events if e.entry.action == "revocation_started"
    )
    assert started == {h.contractor.id: 1 for h in holders}
