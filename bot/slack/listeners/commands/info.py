"""``status`` and ``list``: read-only, role-scoped."""

from __future__ import annotations

from bot.core import queries
from bot.core.errors import NotAllowed
from bot.core.roles import Role
from bot.slack import messages
from bot.slack.deps import Deps
from bot.slack.parsing import ListContractors, Status

OVERSEERS = (Role.APPROVER, Role.ADMIN)


def status(deps: Deps, user_id: str, command: Status) -> str:
    """Managers see their own contractors, approvers and admins everyone, a contractor
    themselves."""
    if command.user_id != user_id:
        deps.require(user_id, Role.MANAGER, *OVERSEERS, action="look up contractors")
    contractor = queries.find_contractor(deps.core, command.user_id)
    own = user_id in {contractor.requested_by, contractor.slack_user_id}
    if not own and not deps.roles.any_of(user_id, OVERSEERS):
        raise NotAllowed("managers can only see the contractors they asked for")
    return messages.contractor_line(contractor)


def list_contractors(deps: Deps, user_id: str, command: ListContractors) -> str:
    """Managers list their own contractors; approvers and admins list everyone."""
    deps.require(user_id, Role.MANAGER, *OVERSEERS, action="list contractors")
    everyone = deps.roles.any_of(user_id, OVERSEERS)
    found = queries.list_contractors(
        deps.core,
        states=[command.state] if command.state else None,
        requested_by=None if everyone else user_id,
    )
    state = command.state.value if command.state else None
    if not found:
        return messages.no_contractors(state)
    lines = [messages.contractor_line(c) for c in found[:40]]
    if len(found) > 40:
        lines.append(f"… and {len(found) - 40} more")
    return "\n".join(lines)
