"""Run a request's identity checks and ask the approvers for what the result needs."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import onboarding
from bot.core.context import Core
from bot.core.identity import IdentityCheck
from bot.core.models import CheckResult, Contractor
from bot.core.states import State

ATTESTATION_CHECK = "kyc_attestation"
"""The check an approver's ID attestation decides (``bot.checks.kyc_attestation``)."""


def awaits_attestation(checks: Sequence[CheckResult]) -> bool:
    """Whether an approver's ID attestation is what the request waits for."""
    return any(c.check == ATTESTATION_CHECK and c.outcome == "pending" for c in checks)


def verify_and_ask(
    core: Core, contractor_id: str, *, checks: Sequence[IdentityCheck], repost: bool = False
) -> tuple[Contractor, list[CheckResult]]:
    """Run the identity checks (again) and show the approvers what they can act on.

    Checks passed: ask them to approve. A check waits for an approver's attestation on the
    first run, or on a manager's ``recheck`` (``repost``): ask them to check an ID. Any check
    failed: ``onboarding.verify`` has rejected the request and told the manager; the
    approvers see why (a request that fails its checks is worth a look). Raises
    ``ApprovalNotPosted`` when no approver can see it, ``IllegalTransition`` when the request
    was already decided.

    Why ``repost``: a card is posted after the state change it shows commits, so a replica
    that dies in between leaves a request nobody can act on; ``recheck`` is how a manager
    gets the card back. Other re-runs (an attestation, a verification service's result)
    do not repost, or every one would add a card.
    """
    first_run = core.store.get_contractor(contractor_id).state is State.REQUESTED
    checked, results = onboarding.verify(core, contractor_id, checks=checks)
    waits_for_id = (first_run or repost) and awaits_attestation(results)
    if checked.state in {State.AWAITING_APPROVAL, State.REJECTED} or (
        checked.state is State.VERIFYING and waits_for_id
    ):
        core.notifier.ask_approvers(checked, results)
    return checked, results
