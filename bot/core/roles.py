"""Who may do what: the roles credbot knows, and the small directory that answers "does this
person hold this role?". The identity checks and the doors depend on this protocol; Slack's
user groups (``bot.slack.roles.Roles``) are one implementation."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    """The roles credbot knows, as the settings name them."""

    MANAGER = "manager"
    APPROVER = "approver"
    ADMIN = "admin"


class RoleLookupFailed(Exception):
    """The directory could not say who is in a group (Slack: a user group it did not list);
    ``error`` is the directory's error code. Nobody's role in that group is known: fail closed."""

    def __init__(self, *, group: str, error: str) -> None:
        super().__init__(f"could not resolve user group {group}: {error}")
        self.group = group
        self.error = error


class RoleDirectory(Protocol):
    """Answers, fresh each time, whether someone holds a role."""

    def has(self, user_id: str, role: Role) -> bool:
        """True when ``user_id`` holds ``role``; raises ``RoleLookupFailed`` when that cannot
        be known now."""
        ...
