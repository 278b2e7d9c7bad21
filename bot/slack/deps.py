"""What every listener needs, handed to each ``register(app, deps)``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.core.context import Core
from bot.core.identity import IdentityCheck
from bot.core.interfaces import Leases
from bot.core.reviews import AccessReviews
from bot.core.roles import Role
from bot.core.sharing import SharedAccounts
from bot.slack.after_ack import AfterAck
from bot.slack.roles import Roles


class Forbidden(Exception):
    """The caller lacks every role that may do ``action``."""

    def __init__(self, *, action: str, roles: tuple[Role, ...]) -> None:
        super().__init__(f"{action} needs one of {', '.join(roles)}")
        self.action = action
        self.roles = roles


ClickWork = Callable[["Deps", dict[str, Any], Respond], None]
"""What a button does after its ack, given the listeners' shared parts, the click's payload
and where to answer the clicker."""


@dataclass(frozen=True)
class Deps:
    """The core, the Slack client, the role checker, the identity checks every request
    passes, and where approval cards go."""

    core: Core
    client: WebClient
    roles: Roles
    checks: Sequence[IdentityCheck]
    approval_channel: str | None
    after_ack: AfterAck
    """Where work that follows an ack runs: a small pool that yields to requests awaiting
    their ack, so slow work (Vault, Slack API, database) cannot delay the next acks."""
    leases: Leases
    """The jobs one replica at a time runs: ``/contractor sweep`` holds the sweep lease."""
    reviews: AccessReviews | None = None
    """Access reviews, when ``CREDBOT_ACCESS_REVIEW_INTERVAL`` turns them on."""
    sharing: SharedAccounts | None = None
    """Shared-account detection, when ``CREDBOT_AUDIT_LOG`` is set (the alerts' buttons)."""
    audit_channel: str | None = None
    """Where admins watch: agency cut-off cards and receipts go there."""

    def later(self, work: Callable[[], None]) -> None:
        """Run ``work`` after the ack, on ``after_ack``; its failures are logged."""
        self.after_ack.submit(work)

    def on_click(self, work: ClickWork) -> Callable[[Ack, dict[str, Any], Respond], None]:
        """A button's listener: ack at once, then ``work(self, body, respond)`` after the ack
        (every button's work asks Slack or Vault, which the ack must not wait for)."""

        def clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            self.later(lambda: work(self, body, respond))

        return clicked

    def require(self, user_id: str, *roles: Role, action: str) -> None:
        """Raise ``Forbidden`` unless ``user_id`` holds one of ``roles`` (asked fresh; may
        raise ``RoleLookupFailed``)."""
        if not self.roles.any_of(user_id, roles):
            raise Forbidden(action=action, roles=roles)
