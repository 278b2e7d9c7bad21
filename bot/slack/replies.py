"""Exceptions the Slack door can meet, translated to a reply in one place.

Known failures become the texts of ``bot.slack.messages``; anything else is logged with its stack
trace (never a request body) and answered with a generic sentence, so no handler crashes
silently and nobody is left without an answer.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.core.errors import ApprovalNotPosted, CredbotError, LinkNotDelivered
from bot.core.messages import explain
from bot.core.roles import RoleLookupFailed
from bot.slack import messages
from bot.slack.deps import Forbidden
from bot.slack.directory import NotAContractor, SlackLookupFailed
from bot.slack.parsing import CommandError
from bot.slack.web_client import slack_error

log = logging.getLogger("credbot.slack")

_ROLE_NAMES = {"manager": "managers", "approver": "approvers", "admin": "admins"}


def describe(exc: BaseException) -> str:  # noqa: PLR0911 - one case per failure type
    """The message a person sees for ``exc``."""
    match exc:
        case CommandError(problem=problem, topic=topic):
            return messages.bad_command(problem, topic)
        case Forbidden(action=action, roles=roles):
            return messages.not_in_role(action, " or ".join(_ROLE_NAMES[r] for r in roles))
        case RoleLookupFailed(error=error):
            return messages.role_lookup_failed(error)
        case NotAContractor(user_id=user_id, why=why):
            return messages.not_a_contractor(user_id, why)
        case SlackLookupFailed(error=error):
            return messages.slack_unavailable(error)
        case LinkNotDelivered() as failed:
            return messages.link_not_delivered_reply(failed.error)
        case ApprovalNotPosted(error=error):
            return messages.approval_not_posted_reply(error)
        case CredbotError():
            return explain(exc)
        case SlackApiError():
            log.error("Slack API call failed: %s", slack_error(exc))
            return messages.slack_unavailable(slack_error(exc))
    log.error("unexpected failure in a Slack handler", exc_info=exc)
    return messages.unexpected_failure()
