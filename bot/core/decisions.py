"""A decision on a request, as the core hands it to the door that shows it
(``Notifier.show_decision``): facts only; each door words and draws it its own way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.core.models import CheckResult, Contractor

DecisionKind = Literal["approved", "rejected", "identity checked"]


@dataclass(frozen=True)
class Decision:
    """Who decided what on a request, when, and what followed.

    ``card`` is where a door showed the request (Slack: ``channel:ts`` of the approvers'
    card); the core passes it through untouched, and an empty one means "nowhere to update".
    """

    card: str
    contractor: Contractor
    kind: DecisionKind
    actor: str
    at: datetime
    checks: Sequence[CheckResult] = ()
    reason: str = ""
    """``rejected``: why (the manager is told it too)."""
    document: str = ""
    """``identity checked``: the document type the approver checked (a key of
    ``bot.core.identity.DOCUMENT_TYPES``)."""
    issued: bool = False
    """``approved``: the credentials were issued and the link went out."""
    failure: Exception | None = field(default=None, compare=False)
    """``approved``: issuing (or delivering the link) failed so; the contractor stays where
    the failure left them and a reissue retries."""
