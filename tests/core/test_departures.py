"""Slack departure events: recorded before the ack, deduplicated, checked, finished later."""

from __future__ import annotations

from bot.core import departures, issuing
from bot.core.context import Core
from bot.core.models import Contractor
from bot.core.states import State
from bot.core.sweep import SweepOptions, sweep
from tests.support.contractor import enrol, login, token_rejected
from tests.support.core import APPROVER, approved_contractor, link_secret
from tests.support.directory import FakeDirectory
from tests.support.openbao import OpenBaoServer


def active(core: Core, addr: str) -> tuple[Contractor, object]:
    """An active contractor and a live Vault login of theirs."""
    contractor = approved_contractor(core)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    secret = link_secret(issued.url)
    secrets = enrol(core, secret, issued.code)
    return contractor, login(addr, secrets)


def test_deactivated_user_is_revoked_once_even_if_slack_retries(
    core: Core, openbao: OpenBaoServer
) -> None:
    contractor, token = active(core, openbao.addr)
    user = contractor.slack_user_id
    assert departures.record_departure(core, event_id="Ev1", kind="user_change", slack_user_id=user)
    assert not departures.record_departure(
        core, event_id="Ev1", kind="user_change", slack_user_id=user
    ), "Slack's retry of the same event is recognised"
    revoked = departures.process_departures(core, FakeDirectory({user}))
    assert revoked == [contractor.id]
    assert core.store.get_contractor(contractor.id).state is State.REVOKED
    assert token_rejected(token)
    assert core.store.pending_events() == []
    assert departures.process_departures(core, FakeDirectory({user})) == []


def test_event_for_a_user_still_active_changes_nothing(core: Core, openbao: OpenBaoServer) -> None:
    contractor, _ = active(core, openbao.addr)
    directory = FakeDirectory()
    departures.record_departure(
        core, event_id="Ev2", kind="user_change", slack_user_id=contractor.slack_user_id
    )
    assert departures.process_departures(core, directory) == []
    assert directory.lookups == [contractor.slack_user_id], "the user was looked up"
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE
    assert core.store.pending_events() == []


def test_slack_down_keeps_the_event_for_later(core: Core, openbao: OpenBaoServer) -> None:
    contractor, _ = active(core, openbao.addr)
    user = contractor.slack_user_id
    departures.record_departure(core, event_id="Ev3", kind="user_change", slack_user_id=user)
    assert departures.process_departures(core, FakeDirectory({user}, fails=True)) == []
    assert [e.event_id for e in core.store.pending_events()] == ["Ev3"]
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE
    assert departures.process_departures(core, FakeDirectory({user})) == [contractor.id]


def test_vault_down_keeps_the_event_and_the_sweep_finishes_it(
    throwaway_openbao: OpenBaoServer,
    outage_core: Core,
) -> None:
    core = outage_core
    contractor, token = active(core, throwaway_openbao.addr)
    user = contractor.slack_user_id
    departures.record_departure(core, event_id="Ev4", kind="user_change", slack_user_id=user)
    throwaway_openbao.seal()
    assert departures.process_departures(core, FakeDirectory({user})) == []
    assert core.store.get_contractor(contractor.id).state is State.REVOKING
    assert len(core.store.pending_events()) == 1
    throwaway_openbao.unseal()
    report = sweep(core, SweepOptions(), directory=FakeDirectory({user}))
    assert report.all_done
    assert core.store.get_contractor(contractor.id).state is State.REVOKED
    assert core.store.pending_events() == []
    assert token_rejected(token)


def test_event_for_someone_who_is_no_contractor_is_just_done(core: Core) -> None:
    departures.record_departure(
        core, event_id="Ev-nobody", kind="user_change", slack_user_id="UNOBODY1"
    )
    assert departures.process_departures(core, FakeDirectory({"UNOBODY1"})) == []
    assert core.store.pending_events() == []
