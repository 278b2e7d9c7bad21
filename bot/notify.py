"""A notifier for processes that have no Slack connection (the CLI, cron sweeps).

It writes who-should-hear-what to the log, never a link: a link can only be delivered through
Slack, so ``send_link`` refuses rather than lose or leak one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core.decisions import Decision
from bot.core.errors import ApprovalNotPosted, CredbotError
from bot.core.messages import anchor_notice
from bot.core.models import CheckResult, Contractor, SignedAnchor
from bot.core.sharing import SharingFlag

log = logging.getLogger("credbot.notify")


class NoDeliveryConfigured(RuntimeError):
    """A link had to be delivered but this process has no way to reach the contractor."""


class LogNotifier:
    """Logs notifications instead of sending them (the admin reads them in the job output)."""

    def send_link(self, contractor: Contractor, *, url: str, code: str) -> None:
        """Refuse: links go to the contractor's Slack DM only."""
        raise NoDeliveryConfigured(
            f"cannot deliver the link for contractor {contractor.id}: Slack is not configured"
        )

    def ask_approvers(self, contractor: Contractor, checks: Sequence[CheckResult]) -> None:
        """Refuse: approvers see requests in Slack only; the admins' log says so."""
        self.alert_admins(
            summary="no approval channel: Slack is not configured", contractor=contractor
        )
        raise ApprovalNotPosted(contractor_id=contractor.id, error="Slack is not configured")

    def show_decision(self, decision: Decision) -> None:
        """Log the decision (there is no card to update)."""
        log.info("contractor %s %s by %s", decision.contractor.id, decision.kind, decision.actor)

    def tell_requester(
        self,
        contractor: Contractor,
        *,
        event: str,
        detail: str = "",
        error: CredbotError | None = None,
    ) -> None:
        """Log what the requester would be told."""
        log.info(
            "to %s: contractor %s %s. %s",
            contractor.requested_by,
            contractor.id,
            event,
            error if error is not None else detail,
        )

    def tell_checks(
        self, contractor: Contractor, checks: Sequence[CheckResult], *, failed: str = ""
    ) -> None:
        """Log where the request stands after its checks ran."""
        log.info(
            "to %s: contractor %s is %s after its checks%s",
            contractor.requested_by,
            contractor.id,
            contractor.state.value,
            f" (they could not run: {failed})" if failed else "",
        )

    def alert_admins(self, *, summary: str, contractor: Contractor | None = None) -> None:
        """Log an alert at ERROR so that job monitoring picks it up."""
        log.error("ALERT%s: %s", f" (contractor {contractor.id})" if contractor else "", summary)

    def publish_anchor(self, anchor: SignedAnchor) -> None:
        """Log the signed audit anchor (the job output keeps the copy)."""
        log.info("%s", anchor_notice(anchor))


class LogSharingAlerts:
    """Shared-account alerts for a ``credbot serve`` without Slack: logged at ERROR, with the
    account and the addresses (nobody can press a button there; offboard with the CLI)."""

    def post_flag(self, flag: SharingFlag, contractor: Contractor | None) -> bool:
        """Log the alert; always posted."""
        log.error(
            "ALERT: shared account? %s (contractor %s) logged in from %s (%s)",
            flag.username,
            contractor.id if contractor else "none",
            ", ".join(flag.addresses),
            ", ".join(flag.reasons),
        )
        return True
