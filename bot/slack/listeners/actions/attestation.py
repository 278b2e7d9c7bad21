""" "I checked their ID" on a verification card: open the attestation form.

Who may attest is checked here (an approver) so the wrong person learns it at once, and again
on submission, where the core also refuses the requester and the contractor.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from bot.core import queries
from bot.core.errors import NotAllowed
from bot.core.roles import Role
from bot.core.states import State
from bot.slack import blocks, replies
from bot.slack.cards import card_of
from bot.slack.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Listen to ``credbot_attest``."""

    app.action(blocks.ATTEST)(deps.on_click(_open_form))


def _open_form(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    user_id = str(body.get("user", {}).get("id", ""))
    contractor_id = str((body.get("actions") or [{}])[0].get("value", ""))
    card = card_of(body)
    try:
        deps.require(user_id, Role.APPROVER, action="attest identities")
        contractor = queries.get_contractor(deps.core, contractor_id)
        if user_id in {contractor.requested_by, contractor.slack_user_id}:
            raise NotAllowed("the requester and the contractor cannot attest the identity")
        if contractor.state is not State.VERIFYING:
            raise NotAllowed(
                f"the request is {contractor.state.value}, not waiting for identity checks"
            )
        deps.client.views_open(
            trigger_id=str(body.get("trigger_id", "")),
            view=blocks.attestation_modal(contractor, card=card),
        )
    except Exception as exc:
        respond(response_type="ephemeral", replace_original=False, text=replies.describe(exc))
