"""``/contractor``: parse, answer parse errors and help in the ack, run the rest after it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack import messages, replies
from bot.slack.deps import Deps
from bot.slack.listeners.commands import agency, info, manage, onboard
from bot.slack.parsing import (
    Command,
    CommandError,
    Help,
    ListContractors,
    Offboard,
    OffboardAgency,
    Onboard,
    OpenOnboardForm,
    Recheck,
    Reissue,
    Status,
    Sweep,
    UnblockAgency,
    parse_command,
)

log = logging.getLogger("credbot.slack.commands")

COMMAND = "/contractor"


def register(app: App, deps: Deps) -> None:
    """Listen to ``/contractor``."""

    def contractor(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        user_id = str(command.get("user_id", ""))
        try:
            parsed = parse_command(str(command.get("text") or ""))
        except CommandError as exc:
            ack(response_type="ephemeral", text=replies.describe(exc))
            return
        if isinstance(parsed, Help):
            ack(response_type="ephemeral", text=messages.help_text(parsed.topic))
            return
        ack()
        trigger_id = str(command.get("trigger_id", ""))

        def work() -> None:
            try:
                reply = run(deps, user_id, parsed, trigger_id=trigger_id)
            except Exception as exc:
                reply = replies.describe(exc)
            if reply:
                respond(response_type="ephemeral", text=reply, replace_original=False)

        deps.later(work)

    app.command(COMMAND)(contractor)


def run(  # noqa: PLR0911 - one return per subcommand
    deps: Deps, user_id: str, command: Command, *, trigger_id: str
) -> str:
    """Do what ``command`` asks after the ack; return the reply ('' when the reply is a modal)."""
    match command:
        case OpenOnboardForm():
            onboard.open_form(deps, user_id, trigger_id=trigger_id)
            return ""
        case Onboard():
            return onboard.onboard_inline(deps, user_id, command)
        case Recheck():
            return onboard.recheck(deps, user_id, command)
        case Offboard():
            return manage.offboard(deps, user_id, command)
        case Reissue():
            return manage.reissue(deps, user_id, command)
        case Sweep():
            return manage.sweep(deps, user_id, command)
        case Status():
            return info.status(deps, user_id, command)
        case ListContractors():
            return info.list_contractors(deps, user_id, command)
        case OffboardAgency():
            return agency.offboard_agency(deps, user_id, command)
        case UnblockAgency():
            return agency.unblock_agency(deps, user_id, command)
    raise AssertionError(f"unhandled command {command!r}")
