"""The "End my access" button in the contractor's App Home: they end their own credentials.

The button only ever acts on the clicker's own live record (looked up by the clicking user's
ID, never by anything in the payload), so nobody can end someone else's access with it.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.core import queries, revocation
from bot.core.errors import RevocationPending
from bot.slack import blocks
from bot.slack.deps import Deps
from bot.slack.listeners.events.home import publish

log = logging.getLogger("credbot.slack.own_access")


def register(app: App, deps: Deps) -> None:
    """Listen to the App Home's "End my access" button."""

    def clicked(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id = str((body.get("user") or {}).get("id", ""))
        deps.later(lambda: end_access(deps, user_id))

    app.action(blocks.END_MY_ACCESS)(clicked)


def end_access(deps: Deps, user_id: str) -> None:
    """Offboard the clicker's own live contractor record, then refresh their Home tab."""
    contractor = queries.live_contractor(deps.core, user_id)
    if contractor is not None:
        try:
            revocation.offboard(
                deps.core, contractor.id, actor=user_id, reason="ended by the contractor"
            )
        except RevocationPending as exc:
            log.warning(
                "contractor %s ended their access; revocation pending: %s", contractor.id, exc.cause
            )
    publish(deps, user_id)
