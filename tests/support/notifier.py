"""A notifier that records what people would be told, for assertions (stands in for Slack)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.decisions import Decision
from bot.core.errors import CredbotError
from bot.core.models import CheckResult, Contractor, SignedAnchor


@dataclass
class RecordingNotifier:
    """Keeps every notification in order."""

    links: list[tuple[str, str]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    requester_events: list[tuple[str, str, str]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    anchors: list[SignedAnchor] = field(default_factory=list)
    asked: list[tuple[str, str]] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def send_link(self, contractor: Contractor, *, url: str, code: str) -> None:
        self.links.append((contractor.slack_user_id, url))
        self.codes.append(code)

    def ask_approvers(self, contractor: Contractor, checks: Sequence[CheckResult]) -> None:
        self.asked.append((contractor.id, contractor.state.value))

    def show_decision(self, decision: Decision) -> None:
        self.decisions.append(decision)

    def tell_requester(
        self,
        contractor: Contractor,
        *,
        event: str,
        detail: str = "",
        error: CredbotError | None = None,
    ) -> None:
        shown = str(error) if error is not None else detail
        self.requester_events.append((contractor.requested_by, event, shown))

    def tell_checks(
        self, contractor: Contractor, checks: Sequence[CheckResult], *, failed: str = ""
    ) -> None:
        self.requester_events.append((contractor.requested_by, "checks", failed))

    def alert_admins(self, *, summary: str, contractor: Contractor | None = None) -> None:
        self.alerts.append(summary)

    def publish_anchor(self, anchor: SignedAnchor) -> None:
        self.anchors.append(anchor)

    def code_for(self, secret: str) -> str:
        """The confirmation code sent with the link whose fragment is ``secret``."""
        for (_, url), code in zip(self.links, self.codes, strict=True):
            if url.endswith(f"#{secret}"):
                return code
        raise KeyError("no link with that secret was sent")

    @property
    def last_link(self) -> str:
        return self.links[-1][1]

    def events_for_requester(self) -> list[str]:
        return [event for _, event, _ in self.requester_events]
