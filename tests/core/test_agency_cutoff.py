"""Cutting a whole agency off, on real OpenBao and both databases: who loses access (exactly
the domain's people), four eyes, the block on new requests, and every refusal changing
nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from bot.core import agency_cutoff, agency_messages, onboarding
from bot.core.agencies import (
    CutoffDecided,
    CutoffOpen,
    DomainBlocked,
    InvalidDomain,
    NobodyAtDomain,
    NotBlocked,
    UnknownDomain,
)
from bot.core.context import Core
from bot.core.errors import NotAllowed
from bot.core.states import State
from bot.core.sweep import SweepOptions
from bot.storage.agencies import SqlAgencies
from tests.support.agency import active_at, requested_at
from tests.support.contractor import can_log_in, login_fails
from tests.support.core import APPROVER
from tests.support.openbao import OpenBaoServer

pytestmark = pytest.mark.both_databases

ADMIN = "UADMIN1"
ADMIN2 = "UADMIN2"
RUN = SweepOptions(worker="test-cutoff")


@pytest.fixture
def agency_core(core: Core, agencies: SqlAgencies) -> Core:
    return replace(core, agencies=agencies)


def audit_actions(core: Core) -> list[str]:
    return [event.entry.action for event in core.store.audit_events()]


def test_two_admins_cut_an_agency_off_and_only_its_people_lose_access(
    agency_core: Core, openbao: OpenBaoServer
) -> None:
    core = agency_core
    ana, ana_keys = active_at(core, "ana@agency.example")
    bob, bob_keys = active_at(core, "bob@agency.example")
    waiting = requested_at(core, "cai@agency.example")
    _, lookalike_keys = active_at(core, "eve@evil-agency.example")
    _, suffixed_keys = active_at(core, "sam@agency.example.evil")
    _, other_keys = active_at(core, "olga@other.example")

    cutoff, preview = agency_cutoff.request_cutoff(
        core, "AGENCY.example", actor=ADMIN, reason="agency breached"
    )
    assert cutoff.status == "pending" and cutoff.domain == "agency.example"
    assert {c.id for c in preview.with_access} == {ana.id, bob.id}
    assert [c.id for c in preview.onboarding] == [waiting.id]
    assert can_log_in(openbao.addr, ana_keys), "a request alone changes nothing"

    with pytest.raises(NotAllowed):
        agency_cutoff.confirm_cutoff(core, cutoff.id, actor=ADMIN)
    confirmed = agency_cutoff.confirm_cutoff(core, cutoff.id, actor=ADMIN2)
    assert confirmed.status == "blocking" and confirmed.decided_by == ADMIN2
    before = len(audit_actions(core))
    with pytest.raises(CutoffDecided) as again:
        agency_cutoff.confirm_cutoff(core, cutoff.id, actor=ADMIN2)
    assert again.value.cutoff.decided_by == ADMIN2
    assert len(audit_actions(core)) == before, "a second confirmation changes nothing"

    seen: list[tuple[int, int]] = []
    receipt = agency_cutoff.carry_out(
        core, confirmed, options=RUN, progress=lambda done, total: seen.append((done, total))
    )
    assert {c.id for c in receipt.revoked} == {ana.id, bob.id}
    assert [c.id for c in receipt.rejected] == [waiting.id]
    assert receipt.complete and receipt.pending == []
    assert seen[-1] == (3, 3)
    assert login_fails(openbao.addr, ana_keys) and login_fails(openbao.addr, bob_keys)
    for keys in (lookalike_keys, suffixed_keys, other_keys):
        assert can_log_in(openbao.addr, keys), "another agency's contractor keeps access"
    assert core.store.get_contractor(waiting.id).state is State.REJECTED

    with pytest.raises(DomainBlocked):
        requested_at(core, "dan@Agency.Example")
    requested_at(core, "dan@evil-agency.example")  # a look-alike domain is not blocked

    actions = audit_actions(core)
    for action in (
        "agency_cutoff_requested",
        "agency_cutoff_confirmed",
        "revoked",
        "withdrawn",
        "agency_cutoff_receipt",
    ):
        assert action in actions

    lifted = agency_cutoff.lift_block(core, "agency.example", actor=ADMIN, reason="new contract")
    assert lifted.status == "lifted" and lifted.lifted_by == ADMIN
    assert requested_at(core, "dan@agency.example").state is State.REQUESTED
    assert "agency_block_lifted" in audit_actions(core)


def test_running_it_again_after_it_finished_changes_nobody(agency_core: Core) -> None:
    core = agency_core
    active_at(core, "ana@agency.example")
    cutoff, _ = agency_cutoff.request_cutoff(core, "agency.example", actor=ADMIN, reason="x")
    confirmed = agency_cutoff.confirm_cutoff(core, cutoff.id, actor=ADMIN2)
    agency_cutoff.carry_out(core, confirmed, options=RUN)
    again = agency_cutoff.carry_out(core, confirmed, options=RUN)
    assert again.revoked == [] and again.rejected == [] and again.complete


@pytest.mark.parametrize(
    ("domain", "error"),
    [
        ("agency", InvalidDomain),
        ("https://agency.example/", InvalidDomain),
        ("ana@agency.example", InvalidDomain),
        ("*.agency.example", InvalidDomain),
        ("nobody-ever.example", UnknownDomain),
        ("gone.example", NobodyAtDomain),
    ],
)
def test_a_bad_domain_is_refused_and_changes_nothing(
    agency_core: Core, domain: str, error: type[Exception]
) -> None:
    core = agency_core
    gone = requested_at(core, "gus@gone.example")
    onboarding.reject(core, gone.id, actor=APPROVER, reason="not needed")
    active_at(core, "ana@agency.example")
    before = audit_actions(core)
    with pytest.raises(error):
        agency_cutoff.request_cutoff(core, domain, actor=ADMIN, reason="breach")
    assert audit_actions(core) == before
    assert core.agencies is not None
    for name in ("agency.example", "gone.example", "nobody-ever.example"):
        assert core.agencies.open_cutoff(name) is None


def test_one_open_cutoff_per_domain_and_cancel_and_lift_refusals(agency_core: Core) -> None:
    core = agency_core
    ana, _ = active_at(core, "ana@agency.example")
    with pytest.raises(NotAllowed):
        agency_cutoff.request_cutoff(core, "agency.example", actor=ADMIN, reason="  ")
    cutoff, _ = agency_cutoff.request_cutoff(core, "agency.example", actor=ADMIN, reason="x")
    with pytest.raises(CutoffOpen):
        agency_cutoff.request_cutoff(core, "agency.example", actor=ADMIN2, reason="y")
    with pytest.raises(NotBlocked):
        agency_cutoff.lift_block(core, "agency.example", actor=ADMIN2, reason="y")
    with pytest.raises(CutoffDecided):
        agency_cutoff.carry_out(core, cutoff, options=RUN)  # not confirmed: nothing happens
    cancelled = agency_cutoff.cancel_cutoff(core, cutoff.id, actor=ADMIN)
    assert cancelled.status == "cancelled"
    with pytest.raises(CutoffDecided):
        agency_cutoff.confirm_cutoff(core, cutoff.id, actor=ADMIN2)
    assert core.store.get_contractor(ana.id).state is State.ACTIVE
    requested_at(core, "bea@agency.example")  # a cancelled cut-off blocks nothing
    agency_cutoff.request_cutoff(core, "agency.example", actor=ADMIN2, reason="again")


def test_vault_down_leaves_them_pending_by_name_and_running_again_finishes(
    outage_core: Core, agencies: SqlAgencies, throwaway_openbao: OpenBaoServer
) -> None:
    core = replace(outage_core, agencies=agencies)
    ana, ana_keys = active_at(core, "ana@agency.example")
    cutoff, _ = agency_cutoff.request_cutoff(core, "agency.example", actor=ADMIN, reason="x")
    confirmed = agency_cutoff.confirm_cutoff(core, cutoff.id, actor=ADMIN2)

    throwaway_openbao.seal()
    try:
        receipt = agency_cutoff.carry_out(core, confirmed, options=RUN)
    finally:
        throwaway_openbao.unseal()
    assert receipt.revoked == [] and not receipt.complete
    ((pending, why),) = receipt.pending
    assert pending.id == ana.id and why
    assert core.store.get_contractor(ana.id).state is State.REVOKING, "never shown as revoked"
    shown = agency_messages.receipt(receipt)
    assert "1 still pending: Ana (" in shown and "0 contractor(s) revoked" in shown

    finished = agency_cutoff.carry_out(core, confirmed, options=RUN)
    assert [c.id for c in finished.revoked] == [ana.id] and finished.complete
    assert login_fails(throwaway_openbao.addr, ana_keys)


def test_two_admins_confirming_at_once_confirm_once(agency_core: Core) -> None:
    core = agency_core
    requested_at(core, "ana@agency.example")
    cutoff, _ = agency_cutoff.request_cutoff(core, "agency.example", actor=ADMIN, reason="x")
    start = threading.Barrier(2)

    def confirm(admin: str) -> str:
        start.wait()
        try:
            return agency_cutoff.confirm_cutoff(core, cutoff.id, actor=admin).status
        except CutoffDecided as exc:
            return f"decided by {exc.cutoff.decided_by}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(confirm, [ADMIN2, "UADMIN3"]))
    assert sorted(o.split(" by ")[0] for o in outcomes) == ["blocking", "decided"]
    assert audit_actions(core).count("agency_cutoff_confirmed") == 1
