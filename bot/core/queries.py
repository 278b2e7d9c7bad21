"""Read-only questions the doors ask: find a contractor, list contractors, show what was checked,
read the audit trail. Doors ask here rather than ``core.store``, so the store's protocols can
change without touching a door."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from bot.core.context import Core
from bot.core.errors import ContractorNotFound
from bot.core.models import AuditEvent, CheckResult, Contractor, IdentityVerification
from bot.core.states import State

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


def get_contractor(core: Core, contractor_id: str) -> Contractor:
    """The contractor as stored now (a button or form names it by id); raises
    ``ContractorNotFound``."""
    return core.store.get_contractor(contractor_id)


def live_contractor(core: Core, slack_user_id: str) -> Contractor | None:
    """The live (not finished) record of this Slack user, if any."""
    return core.store.find_live_by_slack_user(slack_user_id)


def list_contractors(
    core: Core, *, states: Collection[State] | None = None, requested_by: str | None = None
) -> list[Contractor]:
    """Contractors, oldest first, in ``states`` and asked for by ``requested_by`` when given."""
    return core.store.list_contractors(states=states, requested_by=requested_by)


def check_results(core: Core, contractor_id: str) -> list[CheckResult]:
    """The identity checks last run on the contractor, in the order they ran."""
    return core.store.check_results(contractor_id)


def verifications(core: Core, contractor_id: str) -> list[IdentityVerification]:
    """The contractor's identity verifications (KYC), newest first."""
    return core.store.verifications(contractor_id)


def audit_events(core: Core, *, after_seq: int = 0) -> Iterator[AuditEvent]:
    """The audit events after ``after_seq`` in chain order, streamed."""
    return core.store.audit_events(after_seq=after_seq)


def newest_audit_event(core: Core) -> AuditEvent | None:
    """The newest audit event, if any."""
    return core.store.last_audit_event()
