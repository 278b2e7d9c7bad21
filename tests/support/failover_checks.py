"""What must hold after the failover scenario: nothing lost, nothing done twice, no access
left behind, the audit trail intact. Each check returns the problems it found (empty: it
holds), so the test asserts them and the benchmark prints them.

The final sweep runs as the admins' cron would, with the clock eleven minutes on: accounts
that a killed replica half-made are only destroyed once older than the sweep's grace
(``STALE_ACCOUNT_GRACE``, ten minutes), which a test cannot wait for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot import wiring
from bot.config import load_settings
from bot.core.anchoring import check_trail
from bot.core.audit import verify_chain
from bot.core.clock import FrozenClock
from bot.core.models import AuditEvent
from bot.core.states import State
from bot.core.sweep import STALE_ACCOUNT_GRACE, SweepOptions, SweepReport, sweep
from tests.support.contractor import can_log_in, login_fails
from tests.support.failover import Rig, Run
from tests.support.failover_flow import Flow

ISSUES = frozenset({"issued", "reissued"})


@dataclass
class Verdict:
    """Every problem found, and what the final sweep reported."""

    problems: list[str] = field(default_factory=list)
    sweep: SweepReport | None = None
    events: int = 0


def verify(rig: Rig, run: Run) -> Verdict:
    """Run every check; the final sweep first, so the trail it anchors is the one verified."""
    verdict = Verdict(problems=[f"flow failed: {error!r}" for error in run.errors])
    core = wiring.build_core(
        load_settings(rig.env),
        clock=FrozenClock(datetime.now(UTC) + STALE_ACCOUNT_GRACE + timedelta(minutes=1)),
    )
    verdict.sweep = sweep(core, SweepOptions(worker="failover-check", force=True))
    if not verdict.sweep.all_done or verdict.sweep.orphans or verdict.sweep.missing:
        verdict.problems.append(f"final sweep: {verdict.sweep.as_json()}")
    events = list(core.store.audit_events())
    verdict.events = len(events)
    verdict.problems += [f"audit chain: {b}" for b in verify_chain(events)]
    trail = check_trail(core)
    if trail.anchor is None or trail.anchor_problem or trail.lag:
        verdict.problems.append(f"anchor: {trail.anchor} {trail.anchor_problem} lag {trail.lag}")
    issues: dict[str, int] = {}
    for event in events:
        if event.entry.action in ISSUES and event.entry.contractor_id:
            issues[event.entry.contractor_id] = issues.get(event.entry.contractor_id, 0) + 1
    for flow in run.flows:
        verdict.problems += _links_once(run, flow, issues) + _access(rig, run, flow, events)
    for replica in rig.replicas:
        if replica.alive and "Traceback" in rig.log_of(replica):
            verdict.problems.append(f"{replica.name} logged a traceback:\n{rig.log_of(replica)}")
    return verdict


def _links_once(run: Run, flow: Flow, issues: dict[str, int]) -> list[str]:
    """Every link DMed belongs to exactly one issue, and every link after the first was
    asked for (a reissue the flow made, with its reason)."""
    links = flow.links()
    records = run.world.store.list_contractors(slack_user_ids=[flow.slack_user])
    issued = sum(issues.get(record.id, 0) for record in records)
    problems = []
    if len(links) != issued:
        problems.append(f"{flow.name}: {len(links)} link DMs for {issued} issues")
    if len(set(links)) != len(links):
        problems.append(f"{flow.name}: the same link was DMed twice")
    if len(links) != 1 + len(flow.reissues):
        problems.append(f"{flow.name}: {len(links)} link DMs, reissues asked: {flow.reissues}")
    return problems


def _access(rig: Rig, run: Run, flow: Flow, events: list[AuditEvent]) -> list[str]:
    """Offboarded: ``revoked`` with a complete proof for every account, and a full login
    (password and code) refused. Kept on: ``active``, and the login works."""
    record = run.world.record(flow.slack_user)
    saved = flow.saved
    if record is None or saved is None:
        return [f"{flow.name}: never enrolled"]
    addr = rig.proxy.addr
    if not flow.offboard_after:
        if record.state is not State.ACTIVE or not can_log_in(addr, saved):
            return [f"{flow.name}: kept on, but {record.state.value} / login refused"]
        return []
    problems = []
    if record.state is not State.REVOKED:
        problems.append(f"{flow.name}: offboarded but {record.state.value}")
    if run.world.store.revocation_targets(record.id).accounts:
        problems.append(f"{flow.name}: accounts left unrevoked")
    proofs = [
        proof
        for event in events
        if event.entry.contractor_id == record.id and event.entry.action == "revoked"
        for proof in event.entry.details.get("proofs", [])
    ]
    complete = [
        p for p in proofs if p["user_absent"] and p["entity_absent"] and p["live_leases"] == 0
    ]
    if not proofs or len(complete) != len(proofs):
        problems.append(f"{flow.name}: revoked without a complete proof: {proofs}")
    if not login_fails(addr, saved):
        problems.append(f"{flow.name}: revoked, yet password and code still log in")
    return problems
