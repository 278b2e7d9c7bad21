"""``user_change``: someone may have left, so their credentials may have to go.

Slack reports a deactivated account (a member or a guest, by an admin or by SCIM) as a
``user_change`` whose user is ``deleted``; Slack's Events API has no ``team_leave`` (``team_join``
has no counterpart), so that one event is all there is to listen to.

The core owns the rules (``bot.core.departures``): the event is recorded *before* the ack (a
listener middleware runs before Bolt's automatic ack of events), Slack's retries are recognised
by ``event_id``, the user is looked up rather than trusting the event, and the revocation runs
after the ack (and again in every sweep until done). Only events about people with a live
credential are recorded: ``user_change`` fires for every profile edit in the workspace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.core import queries
from bot.core.departures import process_departures, record_departure
from bot.slack.deps import Deps
from bot.slack.directory import SlackDirectory

log = logging.getLogger("credbot.slack.departures")


def register(app: App, deps: Deps) -> None:
    """Listen to ``user_change``."""
    directory = SlackDirectory(client=deps.client)

    def record(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
        event = body.get("event") or {}
        user = event.get("user")
        user_id = str((user.get("id") if isinstance(user, dict) else user) or "")
        event_id = str(body.get("event_id") or "")
        context["departure_new"] = False
        if user_id and event_id and queries.live_contractor(deps.core, user_id):
            context["departure_new"] = record_departure(
                deps.core, event_id=event_id, kind=str(event.get("type")), slack_user_id=user_id
            )
        next()

    def process(context: BoltContext) -> None:
        if not context.get("departure_new"):
            return

        def work() -> None:
            revoked = process_departures(deps.core, directory)
            if revoked:
                log.info("revoked %d contractor(s) after Slack departure events", len(revoked))

        deps.later(work)

    app.event("user_change", middleware=[record])(process)
