"""Uniqueness: one person, one credential.

The database refuses a second live record for a Slack user or an email when a request is made
(partial unique indexes); this check confirms it again at every run and records it. Usernames
are never reused: each issue mints a fresh one and the accounts table's primary key refuses
a repeat.
"""

from __future__ import annotations

from typing import ClassVar, Self

from bot.checks._base import CheckEnvironment, result
from bot.core.models import CheckResult, Contractor
from bot.core.stores import IdentityRecords


class Uniqueness:
    """No other live contractor with the same Slack user or email."""

    name: ClassVar[str] = "uniqueness"
    proves_identity: ClassVar[bool] = False

    def __init__(self, store: IdentityRecords) -> None:
        self._store = store

    @classmethod
    def from_environment(cls, env: CheckEnvironment) -> Self:
        return cls(env.core.store)

    def run(self, contractor: Contractor) -> CheckResult:
        for other in self._store.live_duplicates(contractor):
            same = "Slack account" if other.slack_user_id == contractor.slack_user_id else "email"
            return result(
                self.name,
                "fail",
                f"the same {same} already has a live record ({other.state.value}, "
                f"request {other.id})",
                other_request=other.id,
            )
        return result(self.name, "pass", "no other live record for this Slack account or email")


CHECK = Uniqueness
