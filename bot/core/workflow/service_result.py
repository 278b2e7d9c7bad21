"""After a verification service reported a result (the KYC webhook): the checks run again."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core.context import Core
from bot.core.identity import IdentityCheck
from bot.core.workflow.verify import verify_and_ask

log = logging.getLogger("credbot.core.workflow")


def recheck_after_service_result(
    core: Core, contractor_id: str, *, checks: Sequence[IdentityCheck]
) -> None:
    """Run the checks again (``verify_and_ask``) and tell the manager who asked what
    followed. Never raises: this runs after the service got its answer, so a failure is
    logged and the manager is told to ``recheck``."""
    contractor = core.store.get_contractor(contractor_id)
    try:
        checked, results = verify_and_ask(core, contractor_id, checks=checks)
    except Exception as exc:
        log.exception("checks of %s did not run again", contractor_id)
        core.notifier.tell_checks(contractor, [], failed=type(exc).__name__)
        return
    core.notifier.tell_checks(checked, results)
