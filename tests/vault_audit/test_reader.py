"""The audit-log reader job on a real database (SQLite and PostgreSQL): alerts raised once,
whatever restarts, replicas, rotation and junk lines come its way. The lines are OpenBao's
format written to a file here; ``tests/scenario/test_shared_accounts.py`` has real logins."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.core.clock import FrozenClock
from bot.core.context import Core, Policy
from bot.core.models import AuditEntry, Contractor, VaultAccountRecord
from bot.core.sharing import (
    SEVERAL_ADDRESSES,
    LockNotConfirmed,
    SharedAccounts,
    SharingFlag,
    SharingRules,
    dismiss,
    lock_now,
)
from bot.metrics import VAULT_AUDIT_LINES
from bot.storage.leases import SqlLeases
from bot.storage.sharing import SqlSharing
from bot.storage.store import SqlStore
from bot.vault_audit.file import AuditLogFile
from bot.vault_audit.job import READER, AuditLogReader
from tests.support.core import PUBLIC_URL, NoVault, approved_contractor
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from tests.vault_audit.lines import login_line
from vault.locks import VaultLocks
from vault.setup import initialize

pytestmark = pytest.mark.both_databases

USER = "ctr-ann-0001"


@dataclass
class RecordedAlerts:
    """Where alerts go in these tests (the Slack card is tested in the scenario test)."""

    flags: list[SharingFlag] = field(default_factory=list)

    def post_flag(self, flag: SharingFlag, contractor: Contractor | None) -> bool:
        self.flags.append(flag)
        return True


@dataclass
class World:
    sharing: SharedAccounts
    alerts: RecordedAlerts
    engine: Engine
    log: Path
    active_at: datetime

    def reader(self, holder: str = "replica-1") -> AuditLogReader:
        return AuditLogReader(
            sharing=self.sharing,
            source=AuditLogFile(self.log),
            leases=SqlLeases(engine=self.engine),
            holder=holder,
        )

    def login(self, address: str, minutes: float, *, user: str = USER) -> bytes:
        return login_line(user, address, self.active_at + timedelta(minutes=minutes))

    def write(self, *lines: bytes) -> None:
        with self.log.open("ab") as log:
            log.writelines(lines)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    clock = FrozenClock(datetime.now(UTC))
    store = SqlStore(engine=engine)
    core = Core(
        store=store,
        vault=NoVault(),
        clock=clock,
        notifier=RecordingNotifier(),
        policy=Policy(public_url=PUBLIC_URL),
    )
    contractor = approved_contractor(core)
    store.add_account(VaultAccountRecord(USER, contractor.id, created_at=clock.now()))
    clock.advance(timedelta(minutes=1))
    store.append_audit(
        AuditEntry(at=clock.now(), actor="U1", action="activated", contractor_id=contractor.id)
    )
    alerts = RecordedAlerts()
    sharing = SharedAccounts(
        core=core,
        store=SqlSharing(engine=engine),
        locks=NoVault(),
        alerts=alerts,
        rules=SharingRules(window=timedelta(minutes=10)),
    )
    return World(sharing, alerts, engine, tmp_path / "audit.log", active_at=clock.now())


def actions(world: World) -> list[str]:
    return [event.entry.action for event in world.sharing.core.store.audit_events()]


def test_two_addresses_in_the_window_raise_one_alert_naming_both(world: World) -> None:
    world.write(
        world.login("127.0.0.1", -0.5),  # credbot's own enrolment login, before activation
        world.login("127.0.0.2", 1),
        world.login("127.0.0.2", 2),
        world.login("127.0.0.3", 4),
        world.login("127.0.0.2", 5),  # the same two places again: nothing new
    )
    flags = world.reader().run_once()
    assert flags is not None and len(flags) == 1
    (flag,) = world.alerts.flags
    assert flag.addresses == ("127.0.0.2", "127.0.0.3")
    assert flag.reasons == (SEVERAL_ADDRESSES,)
    assert flag.contractor_id is not None
    assert actions(world).count("sharing_flagged") == 1


def test_three_places_read_at_once_raise_one_alert_naming_all_three(world: World) -> None:
    world.write(*(world.login(f"127.0.0.{n}", n) for n in (2, 3, 4)))
    world.reader().run_once()
    assert [flag.addresses for flag in world.alerts.flags] == [
        ("127.0.0.2", "127.0.0.3", "127.0.0.4")
    ]


def test_logins_further_apart_than_the_window_raise_nothing(world: World) -> None:
    world.write(world.login("127.0.0.2", 1), world.login("127.0.0.3", 12))
    assert world.reader().run_once() == []
    assert world.alerts.flags == []


def unparseable_counted() -> float:
    (metric,) = VAULT_AUDIT_LINES.collect()
    return sum(s.value for s in metric.samples if s.labels == {"outcome": "unparseable"})


def test_junk_lines_are_counted_and_skipped_never_fatal(world: World) -> None:
    before = unparseable_counted()
    world.write(b"garbage\n", world.login("127.0.0.2", 1), b"{}\n", world.login("127.0.0.3", 2))
    flags = world.reader().run_once()
    assert flags is not None and len(flags) == 1
    assert world.sharing.store.unparseable_lines(READER) == 2  # type: ignore[attr-defined]
    assert unparseable_counted() - before == 2


def test_a_restart_reads_no_line_twice_and_raises_no_alert_twice(world: World) -> None:
    world.write(world.login("127.0.0.2", 1), world.login("127.0.0.3", 2))
    first = world.reader()
    assert first.run_once()
    first.stop()
    again = world.reader()  # a new process: a new file handle, the stored position
    assert again.run_once() == []
    world.write(world.login("127.0.0.4", 3))
    flags = again.run_once()
    assert flags is not None and [f.addresses for f in flags] == [
        ("127.0.0.2", "127.0.0.3", "127.0.0.4")
    ]
    assert len(world.alerts.flags) == 2


def test_several_replicas_read_once_and_alert_once(world: World) -> None:
    world.write(world.login("127.0.0.2", 1), world.login("127.0.0.3", 2))
    replicas = [world.reader(f"replica-{n}") for n in range(3)]
    results = [replica.run_once() for replica in replicas]
    assert results.count(None) == 2  # the others do not hold the reader lease
    assert len(world.alerts.flags) == 1


def test_rotation_under_the_reader_loses_nothing(world: World, tmp_path: Path) -> None:
    reader = world.reader()
    world.write(world.login("127.0.0.2", 1))
    assert reader.run_once() == []
    world.write(world.login("127.0.0.3", 2))  # before the rename, not read yet
    os.rename(world.log, tmp_path / "audit.log.1")
    world.write(world.login("127.0.0.2", 3))
    flags = reader.run_once()
    assert flags is not None and len(flags) == 1
    assert flags[0].addresses == ("127.0.0.2", "127.0.0.3")


def test_truncation_under_the_reader_changes_nothing_it_should_not(world: World) -> None:
    reader = world.reader()
    world.write(world.login("127.0.0.2", 1), world.login("127.0.0.3", 2))
    assert reader.run_once()
    with world.log.open("r+b") as handle:
        handle.truncate(0)
    world.write(world.login("127.0.0.2", 3))  # a fresh file: its first line is new
    assert reader.run_once() == []
    assert len(world.alerts.flags) == 1


def test_it_s_fine_accepts_those_addresses_and_a_second_answer_is_refused(world: World) -> None:
    world.write(world.login("127.0.0.2", 1), world.login("127.0.0.3", 2))
    reader = world.reader()
    (flag,) = reader.run_once() or []
    decided = dismiss(world.sharing, flag.id, admin="UADMIN1")
    assert (decided.status, decided.decided_by) == ("dismissed", "UADMIN1")
    with pytest.raises(Exception, match="already marked fine by <@UADMIN1>"):
        dismiss(world.sharing, flag.id, admin="UADMIN2")
    world.write(world.login("127.0.0.3", 3), world.login("127.0.0.2", 4))
    assert reader.run_once() == []
    assert actions(world).count("sharing_dismissed") == 1


def test_lock_now_while_vault_is_down_changes_nothing_and_can_be_pressed_again(
    world: World, throwaway_openbao: OpenBaoServer
) -> None:
    initialize(throwaway_openbao.root_client())
    sharing = replace(world.sharing, locks=VaultLocks(client=throwaway_openbao.bot_login()))
    world.write(world.login("127.0.0.2", 1), world.login("127.0.0.3", 2))
    (flag,) = world.reader().run_once() or []
    throwaway_openbao.seal()
    with pytest.raises(LockNotConfirmed, match="press Lock now again"):
        lock_now(sharing, flag.id, admin="UADMIN1")
    assert sharing.store.get_flag(flag.id).status == "open"  # type: ignore[union-attr]
    assert "sharing_lock_failed" in actions(world)
    throwaway_openbao.unseal()
    assert lock_now(sharing, flag.id, admin="UADMIN1").status == "locked"
