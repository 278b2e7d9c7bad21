"""The manager's ``recheck``: the identity checks, or the approval card, once more."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.context import Core
from bot.core.identity import IdentityCheck
from bot.core.models import CheckResult, Contractor
from bot.core.states import State
from bot.core.workflow.verify import verify_and_ask


@dataclass(frozen=True)
class Rechecked:
    """What a recheck did: ``ran`` the checks (``results``), or not (awaiting approval: the
    approval card was posted again; decided: nothing to do)."""

    contractor: Contractor
    results: list[CheckResult]
    ran: bool


def recheck(core: Core, contractor: Contractor, *, checks: Sequence[IdentityCheck]) -> Rechecked:
    """Awaiting approval: ask the approvers again with the checks it passed (the first card
    may have died with a replica; two cards are harmless, the first decision wins). Waiting
    for its checks: ``verify_and_ask`` with the card posted again. Decided: nothing.
    Who may recheck is the door's to check first. Raises what ``verify_and_ask`` raises."""
    if contractor.state is State.AWAITING_APPROVAL:
        core.notifier.ask_approvers(contractor, core.store.check_results(contractor.id))
        return Rechecked(contractor=contractor, results=[], ran=False)
    if contractor.state not in {State.REQUESTED, State.VERIFYING}:
        return Rechecked(contractor=contractor, results=[], ran=False)
    checked, results = verify_and_ask(core, contractor.id, checks=checks, repost=True)
    return Rechecked(contractor=checked, results=results, ran=True)
