"""``offboard``, ``reissue`` and ``sweep``: the subcommands that change access."""

from __future__ import annotations

from bot.core import issuing, revocation
from bot.core.errors import NotAllowed
from bot.core.queries import find_contractor
from bot.core.roles import Role
from bot.core.sweep import SweepOptions, exclusive_sweep
from bot.slack import messages
from bot.slack.deps import Deps
from bot.slack.directory import SlackDirectory
from bot.slack.parsing import Offboard, Reissue, Sweep


def offboard(deps: Deps, user_id: str, command: Offboard) -> str:
    """Managers and admins revoke (or withdraw) at once: removing access is never held up."""
    deps.require(user_id, Role.MANAGER, Role.ADMIN, action="offboard contractors")
    contractor = find_contractor(deps.core, command.user_id)
    reason = command.reason or f"offboarded by {user_id} in Slack"
    done = revocation.offboard(deps.core, contractor.id, actor=user_id, reason=reason)
    return messages.offboarded(done.slack_user_id, done.state.value)


def reissue(deps: Deps, user_id: str, command: Reissue) -> str:
    """The manager who asked, or an admin, sends new credentials (old ones die first)."""
    deps.require(user_id, Role.MANAGER, Role.ADMIN, action="reissue credentials")
    contractor = find_contractor(deps.core, command.user_id)
    if contractor.requested_by != user_id and not deps.roles.has(user_id, Role.ADMIN):
        raise NotAllowed("only the manager who asked, or an admin, can reissue")
    issued = issuing.issue(deps.core, contractor.id, actor=user_id)
    return messages.reissued(issued.contractor.slack_user_id, f"{issued.expires_at:%Y-%m-%d %H:%M}")


def sweep(deps: Deps, user_id: str, command: Sweep) -> str:
    """Admins: the same sweep as ``credbot sweep`` (access reviews when on, revocations due,
    interrupted ones, departures Slack reports, reconciliation with Vault), reported in the
    channel; like it, a real run holds the sweep lease, so it waits for no replica's
    scheduled sweep but says that one is running."""
    deps.require(user_id, Role.ADMIN, action="run the sweep")
    report = exclusive_sweep(
        deps.core,
        SweepOptions(worker=f"slack:{user_id}", dry_run=command.dry_run),
        leases=deps.leases,
        directory=SlackDirectory(client=deps.client),
        reviews=deps.reviews,
    )
    return messages.sweep_report(report)
