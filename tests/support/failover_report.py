"""The failover scenario's figures as text (the test prints them, ``bench.failover`` too) and
as JSON-ready data."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from tests.support.failover import Rig, Run, load
from tests.support.failover_checks import Verdict


def figures(rig: Rig, run: Run, verdict: Verdict) -> dict[str, Any]:
    """Flows, failures injected, recovery times, failed requests and their retries."""
    outage = run.outage
    after = [done - outage.at for _, began, done in run.world.successes if began > outage.at]
    during = [f for f in run.world.failures if f.at >= outage.at]
    return {
        "flows": len(run.flows),
        "offboarded": sum(flow.offboard_after for flow in run.flows),
        "injected": [f"SIGKILL {outage.replica}", f"SIGKILL {outage.node} (active OpenBao node)"],
        "stages_at_kill": outage.stages,
        "raft_leader_after_s": outage.elections[0] if outage.elections else None,
        "leader_changes": len(outage.elections),
        "new_active": outage.new_active,
        "active_after_s": outage.active_after_s,
        "vault_answers_after_s": outage.vault_after_s,
        "first_flow_step_after_s": min(after) if after else None,
        "failed_requests": len(run.world.failures),
        "failed_after_kill": len(during),
        "failures": [
            {"step": step, "what": what, "retry": retry, "count": count}
            for (step, what, retry), count in Counter(
                (f.step, _general(f.what), f.retry) for f in run.world.failures
            ).most_common()
        ],
        "reissues": {flow.name: flow.reissues for flow in run.flows if flow.reissues},
        "issues_retried": {
            flow.name: flow.issue_retries for flow in run.flows if flow.issue_retries
        },
        "half_made_accounts_swept": len(verdict.sweep.stale_accounts) if verdict.sweep else None,
        "audit_events": verdict.events,
        "problems": verdict.problems,
        "setup_s": rig.setup_s,
        "wall_s": run.wall_s,
        "load": load(),
    }


def as_text(data: dict[str, Any]) -> str:
    lines = [
        f"flows: {data['flows']} contractors ({data['offboarded']} offboarded after enrolment)",
        f"failures injected: {', '.join(data['injected'])}",
        f"stages when they died: {data['stages_at_kill']}",
        f"Raft leader elected after {_s(data['raft_leader_after_s'])} (from the node's log; "
        f"leader changes after the kill: {data['leader_changes']})",
        f"new active node: {data['new_active']} after {_s(data['active_after_s'])}"
        " (sys/health 200: election and step-up)",
        "a request through the load balancer succeeded again after "
        f"{_s(data['vault_answers_after_s'])}",
        "first flow step needing Vault, started after the kill, succeeded after "
        f"{_s(data['first_flow_step_after_s'])}",
        f"requests that failed: {data['failed_requests']} "
        f"({data['failed_after_kill']} after the kill):",
        *(
            f"  {f['count']:3d} x {f['step']}: {f['what']} -> {f['retry']}"
            for f in data["failures"]
        ),
        f"first issues retried with reissue: {data['issues_retried'] or 'none'}",
        f"second links (reissued): {data['reissues'] or 'none'}",
        f"half-made accounts the final sweep removed: {data['half_made_accounts_swept']}",
        f"audit events: {data['audit_events']}; problems: {len(data['problems'])}",
        f"set-up {data['setup_s']:.1f} s, run {data['wall_s']:.1f} s; {data['load']}",
    ]
    return "\n".join(lines + [f"PROBLEM: {p}" for p in data["problems"]])


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def _general(what: str) -> str:
    """A failure without its names and numbers (replica, contractor, username, port) and
    without the sentence around Vault's reason, so alike ones are counted together."""
    for pattern, placeholder in _PARTICULARS:
        what = pattern.sub(placeholder, what)
    return what[:120]


_PARTICULARS = (
    (re.compile(r"^.*Could not issue credentials \((.*)\)\. Nothing was left.*$"), r"issue: \1"),
    (re.compile(r"replica-\d+"), "replica-N"),
    (re.compile(r"<@U\w+>"), "<@U…>"),
    (re.compile(r"ctr-[0-9a-f]+"), "ctr-…"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:…"),
)
