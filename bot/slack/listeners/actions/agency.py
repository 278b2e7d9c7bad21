"""The agency cut-off card's buttons: Confirm (a second admin) and Cancel (any admin).

Both re-check that the clicker is an admin. Confirm is one conditional update in the core:
the requester is refused, a second click (or a click after a cancel) is told who decided and
changes nothing. The winner's click then runs the revocations after the ack, redrawing the
card as a progress bar and ending with the receipt.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from bot.core import agency_cutoff, agency_messages
from bot.core.roles import Role
from bot.core.sweep import SweepOptions
from bot.slack import agency_card, replies
from bot.slack.cards import card_of
from bot.slack.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Listen to ``credbot_agency_confirm`` and ``credbot_agency_cancel``."""

    app.action(agency_card.CONFIRM)(deps.on_click(_confirm))
    app.action(agency_card.CANCEL)(deps.on_click(_cancel))


def _confirm(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    user_id = str(body.get("user", {}).get("id", ""))
    card = _card(deps, body)
    try:
        deps.require(user_id, Role.ADMIN, action="confirm agency cut-offs")
        cutoff = agency_cutoff.confirm_cutoff(deps.core, _clicked(body), actor=user_id)
    except Exception as exc:
        _tell(respond, replies.describe(exc))
        return
    card.show(agency_messages.progress(cutoff, 0, 0))
    agency_card.carry_out_and_report(
        deps.core,
        deps.client,
        cutoff,
        options=SweepOptions(worker=f"slack:{user_id}"),
        audit_channel=deps.audit_channel or card.channel,
        card=card,
    )


def _cancel(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    user_id = str(body.get("user", {}).get("id", ""))
    try:
        deps.require(user_id, Role.ADMIN, action="cancel agency cut-offs")
        cancelled = agency_cutoff.cancel_cutoff(deps.core, _clicked(body), actor=user_id)
    except Exception as exc:
        _tell(respond, replies.describe(exc))
        return
    _card(deps, body).show(agency_messages.cancelled(cancelled))


def _card(deps: Deps, body: dict[str, Any]) -> agency_card.Card:
    channel, _, ts = card_of(body).partition(":")
    return agency_card.Card(client=deps.client, channel=channel, ts=ts)


def _clicked(body: dict[str, Any]) -> str:
    return str((body.get("actions") or [{}])[0].get("value", ""))


def _tell(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)
