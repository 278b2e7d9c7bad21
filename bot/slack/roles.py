"""Who is a manager, approver or admin: user IDs and user groups from settings, asked fresh.

``CREDBOT_MANAGERS``, ``CREDBOT_APPROVERS`` and ``CREDBOT_ADMINS`` hold Slack user IDs (``U…``,
``W…``) and user-group IDs (``S…``). Groups are resolved with ``usergroups.users.list`` and
cached for ``ttl_s`` seconds (a clock is injected, so tests cross the boundary without
sleeping). Every command, button and modal submission asks again: a role is never carried in
a request or a button value.

A group that cannot be resolved grants nothing (fail closed) and raises ``RoleLookupFailed``
so the person is told why, instead of a silent "not allowed".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.roles import Role, RoleLookupFailed
from bot.slack.web_client import slack_error

log = logging.getLogger("credbot.slack.roles")


@dataclass(frozen=True)
class RoleMembers:
    """The configured IDs of each role."""

    managers: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()

    def ids(self, role: Role) -> tuple[str, ...]:
        """The user and group IDs configured for ``role``."""
        return {
            Role.MANAGER: self.managers,
            Role.APPROVER: self.approvers,
            Role.ADMIN: self.admins,
        }[role]


class Roles:
    """A ``RoleDirectory``: "does this user hold this role?" against settings and Slack user
    groups."""

    def __init__(
        self,
        *,
        members: RoleMembers,
        client: WebClient,
        ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._members = members
        self._client = client
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def has(self, user_id: str, role: Role) -> bool:
        """True when ``user_id`` is listed for ``role`` or is in one of its groups.

        Raises ``RoleLookupFailed`` when a group had to be asked and Slack refused.
        """
        ids = self._members.ids(role)
        if user_id in ids:
            return True
        return any(user_id in self._group(group) for group in ids if group.startswith("S"))

    def any_of(self, user_id: str, roles: Iterable[Role]) -> bool:
        """True when the user holds at least one of ``roles``."""
        return any(self.has(user_id, role) for role in roles)

    def held_by(self, user_id: str) -> frozenset[Role]:
        """Every role the user holds (for App Home)."""
        return frozenset(role for role in Role if self.has(user_id, role))

    def _group(self, group: str) -> frozenset[str]:
        """Members of a user group: ``GET usergroups.users.list``, cached for ``ttl_s``."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        try:
            response = self._client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            error = slack_error(exc)
            log.error("usergroups.users.list %s failed: %s", group, error)
            raise RoleLookupFailed(group=group, error=error) from exc
        users = frozenset(str(user) for user in response.get("users") or [])
        with self._lock:
            self._cache[group] = (now, users)
        return users
