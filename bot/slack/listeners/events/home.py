"""App Home (``app_home_opened`` -> ``views.publish``), built for whoever opens it.

Managers see their contractors; admins see every pending request and every revocation stuck
in ``revoking``; a contractor sees their own status and end date. One person may see several
sections. Roles are asked fresh each time.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.core import queries
from bot.core.errors import ContractorNotFound
from bot.core.models import Contractor
from bot.core.roles import Role, RoleLookupFailed
from bot.core.states import CONTRACT_END_STATES, State
from bot.slack import blocks, messages
from bot.slack.deps import Deps
from bot.slack.web_client import slack_error

log = logging.getLogger("credbot.slack.home")

PENDING = (State.REQUESTED, State.VERIFYING, State.AWAITING_APPROVAL, State.APPROVED)


def register(app: App, deps: Deps) -> None:
    """Listen to ``app_home_opened`` (the Home tab only)."""

    def opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = str(event.get("user", ""))

        deps.later(lambda: publish(deps, user_id))

    app.event("app_home_opened")(opened)


def publish(deps: Deps, user_id: str) -> None:
    """Build and publish ``user_id``'s Home tab; a Slack failure is logged, not raised."""
    try:
        deps.client.views_publish(user_id=user_id, view=blocks.home_view(sections(deps, user_id)))
    except SlackApiError as exc:
        log.error("App Home for %s not published: %s", user_id, slack_error(exc))


def sections(deps: Deps, user_id: str) -> list[tuple[str, list[blocks.Block]]]:
    """The Home tab's sections for ``user_id``."""
    try:
        held = deps.roles.held_by(user_id)
    except RoleLookupFailed:
        held = frozenset()
    out: list[tuple[str, list[blocks.Block]]] = []
    mine = _own(deps, user_id)
    if mine is not None:
        own = blocks.text(messages.own_status(mine))
        if mine.state in CONTRACT_END_STATES:
            own += blocks.end_my_access_button()
        out.append(("Your access", own))
    if Role.MANAGER in held:
        out.append(
            (
                "Your contractors",
                blocks.contractor_list(
                    queries.list_contractors(deps.core, requested_by=user_id), empty="None yet."
                ),
            )
        )
    if Role.ADMIN in held:
        out.append(
            (
                "Pending requests",
                blocks.contractor_list(
                    queries.list_contractors(deps.core, states=PENDING), empty="None."
                ),
            )
        )
        out.append(
            (
                "Stuck in revoking (run `/contractor sweep`)",
                blocks.contractor_list(
                    queries.list_contractors(deps.core, states=[State.REVOKING]), empty="None."
                ),
            )
        )
    if not out:
        out.append(("Nothing to show", blocks.text("Type `/contractor help` to see what I do.")))
    return out


def _own(deps: Deps, user_id: str) -> Contractor | None:
    try:
        return queries.find_contractor(deps.core, user_id)
    except ContractorNotFound:
        return None
