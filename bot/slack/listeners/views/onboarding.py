"""The onboarding modal's submission.

Validation happens *before* the ack, because only the ack can show errors inline
(``response_action: errors``): the fields, the Slack account (``users.info``), the core's
request validation and its duplicate check (the request is stored then; all fast, no Vault).
The checks and the approval card run after the ack, and the manager hears the outcome by DM.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App

from bot.core import onboarding
from bot.core.errors import DuplicateContractor, InvalidRequest, NotAllowed
from bot.core.roles import Role
from bot.core.workflow.verify import verify_and_ask
from bot.slack import blocks, messages, replies
from bot.slack.deps import Deps
from bot.slack.directory import NotAContractor
from bot.slack.notifier import tell_user
from bot.slack.onboarding_request import build_request
from bot.slack.parsing import COUNTRY

log = logging.getLogger("credbot.slack.views")


def register(app: App, deps: Deps) -> None:
    """Listen to ``credbot_onboard`` submissions."""

    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = str(body.get("user", {}).get("id", ""))
        values = _values(view)
        try:
            deps.require(user_id, Role.MANAGER, action="onboard contractors")
            request = build_request(
                deps,
                user_id=_contractor(_field(values, "contractor", "selected_user")),
                country=_country(_field(values, "country", "value")),
                end_date=_date(_field(values, "end", "selected_date")),
                role=_field(values, "role", "selected_option") or None,
                justification=_field(values, "justification", "value"),
            )
            contractor = onboarding.request_onboarding(deps.core, request, requester=user_id)
        except InvalidRequest as exc:
            field = exc.field if exc.field in blocks.FIELDS else "contractor"
            ack(response_action="errors", errors={field: replies.describe(exc)})
            return
        except (NotAContractor, DuplicateContractor, NotAllowed) as exc:
            ack(response_action="errors", errors={"contractor": replies.describe(exc)})
            return
        except Exception as exc:
            ack(response_action="errors", errors={"contractor": replies.describe(exc)})
            return
        ack()

        def work() -> None:
            try:
                checked, results = verify_and_ask(deps.core, contractor.id, checks=deps.checks)
                reply = messages.checks_outcome(checked, results, deps.approval_channel)
            except Exception as exc:
                reply = replies.describe(exc)
            tell_user(deps.client, user_id, reply)

        deps.later(work)

    app.view(blocks.ONBOARD_VIEW)(submitted)


def _values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    state = view.get("state") or {}
    values = state.get("values") or {}
    return {str(block): (actions or {}).get("value") or {} for block, actions in values.items()}


def _field(values: dict[str, dict[str, Any]], block: str, key: str) -> str:
    value = values.get(block, {}).get(key)
    if isinstance(value, dict):  # a static_select's selected_option
        value = value.get("value")
    return str(value or "").strip()


def _contractor(value: str) -> str:
    if not value:
        raise InvalidRequest(field="contractor", problem="pick the person")
    return value


def _country(value: str) -> str:
    if not COUNTRY.match(value):
        raise InvalidRequest(field="country", problem="enter a two-letter ISO code such as DE")
    return value.upper()


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(field="end", problem="pick a date") from None
