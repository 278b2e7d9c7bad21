"""Slack telling us someone may have left: ``user_change`` (a member or guest deactivated).

The Slack door records the event *before* acknowledging it (``record_departure``), so a crash
after the ack loses nothing, and Slack's retries are recognised by ``event_id`` and ignored.
The work (``process_departures``) runs after the ack and again in every sweep until done. The
event's own ``deleted`` field is never trusted, present or missing: the user is looked up.
"""

from __future__ import annotations

import logging

from bot.core import revocation
from bot.core.context import Core
from bot.core.errors import RevocationPending
from bot.core.interfaces import Directory
from bot.core.models import DepartureEvent
from bot.core.states import State

log = logging.getLogger("credbot.core.departures")
ACTOR = "credbot-slack-events"


def record_departure(core: Core, *, event_id: str, kind: str, slack_user_id: str) -> bool:
    """Durably note the event; ``False`` when Slack delivered it before (do nothing more)."""
    return core.store.record_event(
        DepartureEvent(
            event_id=event_id,
            kind=kind,
            slack_user_id=slack_user_id,
            received_at=core.clock.now(),
        )
    )


def process_departures(core: Core, directory: Directory) -> list[str]:
    """Offboard the contractors whose Slack account is really gone; mark each event done.

    Returns the ids of contractors revoked. An event whose user lookup fails, or whose
    revocation is pending, stays recorded for the next try (the sweep runs this too).
    """
    revoked: list[str] = []
    for event in core.store.pending_events():
        try:
            gone = directory.is_deactivated(event.slack_user_id)
        except Exception as exc:  # Slack unreachable: try again later, never guess
            log.warning(
                "could not look up %s for event %s: %s", event.slack_user_id, event.event_id, exc
            )
            continue
        if gone and not _offboard(core, event, revoked):
            continue
        core.store.mark_event_done(event.event_id, at=core.clock.now())
    return revoked


def _offboard(core: Core, event: DepartureEvent, revoked: list[str]) -> bool:
    """Offboard the user's live contractor, if any; ``False`` when revocation is pending."""
    contractor = core.store.find_live_by_slack_user(event.slack_user_id)
    if contractor is None:
        return True
    try:
        done = revocation.offboard(
            core, contractor.id, actor=ACTOR, reason=f"Slack account deactivated ({event.kind})"
        )
    except RevocationPending as exc:
        log.warning("revocation of %s pending after %s: %s", contractor.id, event.kind, exc.cause)
        return False
    if done.state is State.REVOKED:
        revoked.append(done.id)
    return True
