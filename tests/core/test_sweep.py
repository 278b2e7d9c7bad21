"""The sweep on real backends: what it revokes, what it leaves, and that it never overdoes it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from bot.core import enrolment, issuing, revocation
from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.errors import IssueFailed, RevocationPending, StaleState
from bot.core.models import Contractor
from bot.core.states import State
from bot.core.sweep import SweepOptions, SweepReport, sweep
from tests.support.contractor import can_log_in, enrol, login, login_fails, token_rejected
from tests.support.core import APPROVER, MANAGER, approved_contractor, link_secret
from tests.support.directory import FakeDirectory
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from vault.layout import USERPASS_MOUNT
from vault.models import AccountSecrets

Issued = Callable[[], tuple[Contractor, str]]
RUN = SweepOptions(worker="test-sweep")


def active_contractor(
    core: Core, notifier: RecordingNotifier, *, end_date: date | None = None
) -> tuple[Contractor, AccountSecrets]:
    """An active contractor (contract ending on ``end_date``) and what they saved (username,
    password, TOTP seed)."""
    contractor = approved_contractor(core, end_date=end_date)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    return contractor, enrol(core, link_secret(issued.url), issued.code)


def outcomes(report: SweepReport) -> dict[str, tuple[str, str]]:
    return {item.contractor_id: (item.action, item.outcome) for item in report.items}


def test_nothing_due_is_all_done(core: Core, issued: Issued) -> None:
    issued()
    report = sweep(core, RUN)
    assert report.items == [] and report.all_done
    assert report.missing == [] and report.stale_accounts == []


def test_expired_link_destroys_the_account(
    core: Core, issued: Issued, clock: FrozenClock, openbao: OpenBaoServer
) -> None:
    contractor, _ = issued()
    clock.advance(timedelta(hours=2))
    report = sweep(core, RUN)
    assert outcomes(report) == {contractor.id: ("expire_link", "done")}
    assert core.store.get_contractor(contractor.id).state is State.EXPIRED
    assert contractor.username not in list(core.vault.iter_accounts())


def test_ended_contract_is_revoked(
    core: Core, notifier: RecordingNotifier, clock: FrozenClock, openbao: OpenBaoServer
) -> None:
    contractor, saved = active_contractor(core, notifier)
    token = login(openbao.addr, saved)
    clock.advance(timedelta(days=91))
    report = sweep(core, RUN)
    assert outcomes(report) == {contractor.id: ("contract_ended", "done")}
    assert core.store.get_contractor(contractor.id).state is State.REVOKED
    assert token_rejected(token)
    assert report.all_done


def test_dry_run_changes_nothing(core: Core, issued: Issued, clock: FrozenClock) -> None:
    contractor, _ = issued()
    clock.advance(timedelta(hours=2))
    before = list(core.store.audit_events())
    report = sweep(core, SweepOptions(dry_run=True))
    assert outcomes(report) == {contractor.id: ("expire_link", "planned")}
    assert core.store.get_contractor(contractor.id).state is State.ISSUED
    assert list(core.store.audit_events()) == before


def test_sweep_finishes_a_revocation_vault_interrupted(
    throwaway_openbao: OpenBaoServer,
    outage_core: Core,
    notifier: RecordingNotifier,
) -> None:
    core = outage_core
    contractor, saved = active_contractor(core, notifier)
    throwaway_openbao.seal()
    with pytest.raises(RevocationPending):
        revocation.offboard(core, contractor.id, actor=MANAGER, reason="left")
    pending = sweep(core, RUN)
    assert outcomes(pending) == {contractor.id: ("finish_revocation", "pending")}
    assert not pending.all_done
    assert core.store.get_contractor(contractor.id).state is State.REVOKING

    throwaway_openbao.unseal()
    done = sweep(core, RUN)
    assert outcomes(done) == {contractor.id: ("finish_revocation", "done")}
    assert core.store.get_contractor(contractor.id).state is State.REVOKED
    assert login_fails(throwaway_openbao.addr, saved)


def test_circuit_breaker_holds_mass_revocation(
    core: Core, notifier: RecordingNotifier, clock: FrozenClock
) -> None:
    contractors = [active_contractor(core, notifier)[0] for _ in range(6)]
    gone = {c.slack_user_id for c in contractors}
    report = sweep(core, RUN, directory=FakeDirectory(gone))
    assert report.breaker is not None and not report.all_done
    assert {outcome for _, outcome in outcomes(report).values()} == {"held"}
    assert all(core.store.get_contractor(c.id).state is State.ACTIVE for c in contractors)
    assert any("circuit breaker" in alert for alert in notifier.alerts)

    forced = sweep(core, SweepOptions(force=True), directory=FakeDirectory(gone))
    assert {outcome for _, outcome in outcomes(forced).values()} == {"done"}
    assert all(core.store.get_contractor(c.id).state is State.REVOKED for c in contractors)


def test_a_cohort_whose_contracts_end_together_is_revoked(
    core: Core, notifier: RecordingNotifier, clock: FrozenClock, openbao: OpenBaoServer
) -> None:
    """6 of 9 contracts ending the same day is the database's own date, not a mass signal from
    outside: the breaker must not keep their access on."""
    cohort_end = date.today() + timedelta(days=30)
    cohort = [active_contractor(core, notifier, end_date=cohort_end) for _ in range(6)]
    stays = [active_contractor(core, notifier) for _ in range(3)]
    clock.advance(timedelta(days=31))

    report = sweep(core, RUN, directory=FakeDirectory())

    assert report.breaker is None and report.all_done
    assert outcomes(report) == {c.id: ("contract_ended", "done") for c, _ in cohort}
    for contractor, saved in cohort:
        assert core.store.get_contractor(contractor.id).state is State.REVOKED
        assert login_fails(openbao.addr, saved)
    for contractor, saved in stays:
        assert core.store.get_contractor(contractor.id).state is State.ACTIVE
        assert can_log_in(openbao.addr, saved)
    assert not any("circuit breaker" in alert for alert in notifier.alerts)


def test_mass_slack_deactivation_still_trips_the_breaker_beside_ended_contracts(
    core: Core, notifier: RecordingNotifier, clock: FrozenClock, openbao: OpenBaoServer
) -> None:
    """Slack reporting 6 of 7 deactivated is held; the contract that ended (whose holder Slack
    reports too) is revoked all the same."""
    ended, ended_saved = active_contractor(
        core, notifier, end_date=date.today() + timedelta(days=1)
    )
    reported = [active_contractor(core, notifier) for _ in range(5)]
    active_contractor(core, notifier)
    clock.advance(timedelta(days=2))
    gone = {c.slack_user_id for c, _ in reported} | {ended.slack_user_id}

    report = sweep(core, RUN, directory=FakeDirectory(gone))

    assert report.breaker is not None and not report.all_done
    assert outcomes(report)[ended.id] == ("contract_ended", "done")
    assert login_fails(openbao.addr, ended_saved)
    for contractor, saved in reported:
        assert outcomes(report)[contractor.id] == ("deactivated", "held")
        assert core.store.get_contractor(contractor.id).state is State.ACTIVE
        assert can_log_in(openbao.addr, saved)
    (breaker,) = [alert for alert in notifier.alerts if "circuit breaker" in alert]
    assert "Slack" in breaker


def test_deactivated_slack_user_is_revoked(core: Core, notifier: RecordingNotifier) -> None:
    stays, _ = active_contractor(core, notifier)
    leaves, _ = active_contractor(core, notifier)
    report = sweep(core, RUN, directory=FakeDirectory({leaves.slack_user_id}))
    assert outcomes(report) == {leaves.id: ("deactivated", "done")}
    assert core.store.get_contractor(stays.id).state is State.ACTIVE


def test_directory_failure_revokes_nobody_and_says_so(
    core: Core, notifier: RecordingNotifier
) -> None:
    contractor, _ = active_contractor(core, notifier)
    report = sweep(core, RUN, directory=FakeDirectory(fails=True))
    assert report.items == [] and not report.all_done
    assert "ratelimited" in report.problems[0]
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE


def test_orphans_alert_the_admins_once_and_are_removed_only_with_fix_drift(
    throwaway_openbao: OpenBaoServer,
    outage_core: Core,
    notifier: RecordingNotifier,
) -> None:
    """On its own server: users made by hand in credbot's mount (one with the role policy)
    alert the admins once per set; --fix-drift removes credbot's own names, and the bot's
    policy reaches no other name, which stays for a Vault admin."""
    core = outage_core
    _, saved = active_contractor(core, notifier)
    live = saved.username
    root = throwaway_openbao.root_client()
    own, foreign = "ctr-made-by-hand", "admin-made-by-hand"
    for orphan in (own, foreign):
        root.write(
            f"auth/{USERPASS_MOUNT}/users/{orphan}",
            password="x" * 20,
            token_policies="credbot-role-reviewer",
        )
    report = sweep(core, RUN)
    assert report.orphans == [foreign, own] and report.orphans_removed == []
    assert {own, foreign} <= set(core.vault.iter_accounts())
    (alert,) = [a for a in notifier.alerts if "no credbot record explains" in a]
    assert own in alert and foreign in alert
    sweep(core, RUN)
    assert len([a for a in notifier.alerts if "no credbot record explains" in a]) == 1

    fixed = sweep(core, SweepOptions(fix_drift=True))
    assert fixed.orphans_removed == [own]
    assert any(foreign in problem for problem in fixed.problems)
    assert list(core.vault.iter_accounts()) == [foreign, live]


def test_a_scheduled_sweep_compares_vault_once_an_interval_and_still_finds_a_hand_made_user(
    throwaway_openbao: OpenBaoServer,
    outage_core: Core,
    notifier: RecordingNotifier,
    clock: FrozenClock,
) -> None:
    """With ``reconcile_every`` (``CREDBOT_RECONCILE_INTERVAL``) the runs in between skip
    Vault's LIST but still revoke what is due; a user made by hand in credbot's mount is
    found by the first run an interval after the last comparison, and an admin's sweep
    always compares."""
    core = outage_core
    interval = timedelta(days=100)  # the contract below ends in 90 days
    every_100_days = SweepOptions(worker="test-sweep", reconcile_every=interval)
    contractor, _ = active_contractor(core, notifier)
    assert sweep(core, every_100_days).reconciled, "nothing compared yet: the first compares"
    orphan = "ctr-made-by-hand"
    throwaway_openbao.root_client().write(
        f"auth/{USERPASS_MOUNT}/users/{orphan}",
        password="x" * 20,
        token_policies="credbot-role-reviewer",
    )
    clock.advance(timedelta(days=91))
    between = sweep(core, every_100_days)
    assert not between.reconciled and between.orphans == []
    assert outcomes(between) == {contractor.id: ("contract_ended", "done")}
    clock.advance(interval - timedelta(days=91))
    found = sweep(core, every_100_days)
    assert found.reconciled and found.orphans == [orphan]
    assert [a for a in notifier.alerts if orphan in a]
    assert not sweep(core, every_100_days).reconciled
    assert sweep(core, RUN).orphans == [orphan]


def test_missing_vault_user_is_reported(
    core: Core, notifier: RecordingNotifier, openbao: OpenBaoServer
) -> None:
    _, saved = active_contractor(core, notifier)
    username = saved.username
    openbao.root_client().delete(f"auth/{USERPASS_MOUNT}/users/{username}")
    assert username in sweep(core, RUN).missing


def test_half_made_account_is_cleaned_up_after_the_grace_period(
    throwaway_openbao: OpenBaoServer,
    outage_core: Core,
    clock: FrozenClock,
) -> None:
    core = outage_core
    contractor = approved_contractor(core)
    throwaway_openbao.seal()
    with pytest.raises(IssueFailed):
        issuing.issue(core, contractor.id, actor=APPROVER)
    throwaway_openbao.unseal()
    [half_made] = core.store.unrevoked_accounts(contractor.id)
    assert sweep(core, RUN).stale_accounts == [], "too young: may be an issue under way"
    clock.advance(timedelta(minutes=11))
    report = sweep(core, RUN)
    assert report.stale_accounts == [half_made.username] and report.all_done
    assert core.store.unrevoked_accounts(contractor.id) == []


@pytest.mark.both_databases  # a race: each database decides it
def test_two_sweeps_at_once_revoke_each_contractor_once(
    core: Core, notifier: RecordingNotifier, clock: FrozenClock
) -> None:
    contractors = [active_contractor(core, notifier)[0] for _ in range(4)]
    clock.advance(timedelta(days=91))
    reports: list[SweepReport] = []
    barrier = threading.Barrier(2)

    def run(worker: str) -> None:
        barrier.wait()
        reports.append(sweep(core, SweepOptions(worker=worker, force=True)))

    threads = [threading.Thread(target=run, args=(f"replica-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(core.store.get_contractor(c.id).state is State.REVOKED for c in contractors)
    revoked_events = [e for e in core.store.audit_events() if e.entry.action == "revoked"]
    assert sorted(e.entry.contractor_id or "" for e in revoked_events) == sorted(
        c.id for c in contractors
    )


def test_a_claim_left_by_a_dead_replica_lapses(
    core: Core, issued: Issued, clock: FrozenClock
) -> None:
    contractor, _ = issued()
    clock.advance(timedelta(hours=2))
    assert core.store.claim_for_sweep(
        contractor.id, worker="dead-replica", now=clock.now(), lease=timedelta(minutes=10)
    )
    assert sweep(core, RUN).items == []
    clock.advance(timedelta(minutes=11))
    assert outcomes(sweep(core, RUN)) == {contractor.id: ("expire_link", "done")}


def test_expiry_is_checked_again_before_anything_is_destroyed(
    core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    """A stale plan (the link was opened, or is not expired yet) must destroy nothing."""
    contractor, secret = issued()
    with pytest.raises(StaleState):
        revocation.expire(core, contractor, actor="test-sweep")
    enrolment.reveal(core, secret, notifier.code_for(secret))
    with pytest.raises(StaleState):
        revocation.expire(core, core.store.get_contractor(contractor.id), actor="test-sweep")
    assert contractor.username in list(core.vault.iter_accounts())
    assert core.store.get_contractor(contractor.id).state is State.ISSUED


def test_a_batch_goes_on_past_a_contractor_that_moved_on(
    core: Core, notifier: RecordingNotifier, clock: FrozenClock, openbao: OpenBaoServer
) -> None:
    """A stale read in a batch (``active``, but offboarded meanwhile) refuses that contractor
    alone; the others are revoked, audited in batch order."""
    holders = [active_contractor(core, notifier) for _ in range(3)]
    stale_read = holders[1][0]  # as read before someone else offboarded them
    revocation.offboard(core, stale_read.id, actor=MANAGER, reason="left early")
    clock.advance(timedelta(days=91))
    batch = [(core.store.get_contractor(c.id), "contract ended") for c, _ in holders]
    batch[1] = (stale_read, "contract ended")

    outcomes = revocation.offboard_many(core, batch, actor="test-sweep")

    assert isinstance(outcomes[1], StaleState)
    for index, (contractor, saved) in enumerate(holders):
        assert core.store.get_contractor(contractor.id).state is State.REVOKED
        assert saved.username not in list(core.vault.iter_accounts())
        if index != 1:
            outcome = outcomes[index]
            assert isinstance(outcome, Contractor) and outcome.state is State.REVOKED
    events = [e.entry for e in core.store.audit_events() if e.entry.action == "revoked"]
    assert [e.contractor_id for e in events] == [holders[i][0].id for i in (1, 0, 2)]
