"""Requester role: the person asking is a manager (``CREDBOT_MANAGERS``), not the contractor."""

from __future__ import annotations

from typing import ClassVar, Self

from bot.checks._base import CheckEnvironment, group_not_listed, result
from bot.core.models import CheckResult, Contractor
from bot.core.roles import Role, RoleDirectory, RoleLookupFailed


class RequesterRole:
    """Asked again at every run: a manager removed from the role since the request no longer
    counts as one."""

    name: ClassVar[str] = "requester_role"
    proves_identity: ClassVar[bool] = False

    def __init__(self, roles: RoleDirectory) -> None:
        self._roles = roles

    @classmethod
    def from_environment(cls, env: CheckEnvironment) -> Self:
        return cls(env.roles)

    def run(self, contractor: Contractor) -> CheckResult:
        requester = contractor.requested_by
        if requester == contractor.slack_user_id:
            return result(self.name, "fail", "the requester is the contractor", requester=requester)
        try:
            is_manager = self._roles.has(requester, Role.MANAGER)
        except RoleLookupFailed as exc:
            return group_not_listed(self.name, exc)
        if not is_manager:
            return result(
                self.name,
                "fail",
                f"<@{requester}> is not a manager (CREDBOT_MANAGERS)",
                requester=requester,
            )
        return result(self.name, "pass", f"<@{requester}> is a manager", requester=requester)


CHECK = RequesterRole
