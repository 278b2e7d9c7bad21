"""Read-only questions the doors ask: find a contractor, list contractors."""

from __future__ import annotations

import re

from bot.core.context import Core
from bot.core.errors import ContractorNotFound
from bot.core.models import Contractor

CONTRACTOR_ID = re.compile(r"^[0-9a-f]{32}$")


def find_contractor(core: Core, key: str) -> Contractor:
    """Find by contractor id, or by Slack user id (the live record, else the newest one).

    Raises ``ContractorNotFound``.
    """
    if CONTRACTOR_ID.match(key):
        return core.store.get_contractor(key)
    live = core.store.find_live_by_slack_user(key)
    if live is not None:
        return live
    matches = core.store.list_contractors(slack_user_ids=[key])
    if not matches:
        raise ContractorNotFound(key)
    return matches[-1]
