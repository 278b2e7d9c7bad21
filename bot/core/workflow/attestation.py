"""After an approver attested they checked an official ID: the checks run again."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.context import Core
from bot.core.identity import IdentityCheck
from bot.core.models import CheckResult, Contractor
from bot.core.workflow.cards import show_decision
from bot.core.workflow.verify import verify_and_ask


def recheck_after_attestation(
    core: Core,
    contractor_id: str,
    *,
    attester: str,
    document_type: str,
    card: str,
    checks: Sequence[IdentityCheck],
) -> tuple[Contractor, list[CheckResult]]:
    """``verify_and_ask`` (the approval card follows when every check passed), then the
    verification card shows who checked which document, and the manager who asked hears
    where the request stands. The attestation itself is ``identity.attest_identity``,
    stored before (a door shows its refusals at once). Raises what ``verify_and_ask``
    raises; the card and the manager are left as they were then."""
    checked, results = verify_and_ask(core, contractor_id, checks=checks)
    show_decision(
        core, card, checked, kind="identity checked", actor=attester, document=document_type
    )
    core.notifier.tell_checks(checked, results)
    return checked, results
