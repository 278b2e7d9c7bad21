"""Access reviews: what a review is, where reviews are kept, how reviewers hear of them, and
the errors a reviewer's answer can meet. The work itself is ``bot.core.reviews``.

A review asks one person whether one contractor still needs access, in a numbered round.
Round numbers and the pair (round, contractor) are unique in storage, so however many
replicas (or a re-run after a crash) start a round, each contractor is asked once per round.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.core.errors import CredbotError
from bot.core.models import AuditEntry

Decision = Literal["keep", "end", "lapsed"]
"""``keep``/``end``: the reviewer answered; ``lapsed``: nobody answered within the grace."""
Recipient = Literal["manager", "admins"]
"""Who answers: the contractor's manager, or the admins when that manager left the manager
role or Slack."""
ENDING: frozenset[Decision] = frozenset({"end", "lapsed"})
"""Decisions after which the contractor's access must end."""


@dataclass(frozen=True)
class ReviewRound:
    """One round: every active contractor is reviewed once, answered by ``deadline``."""

    number: int
    started_at: datetime
    deadline: datetime


@dataclass(frozen=True)
class AccessReview:
    """One contractor in one round, and its answer once there is one."""

    id: str
    round: int
    contractor_id: str
    contractor_slack_id: str
    contractor_name: str
    manager: str
    """The Slack user who asked for the contractor (``requested_by``)."""
    recipient: Recipient
    deadline: datetime
    sent_at: datetime | None = None
    reminded_at: datetime | None = None
    decision: Decision | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


def review_id(round_number: int, contractor_id: str) -> str:
    """The review's id: its unique key (round, contractor), readable in buttons and exports."""
    return f"{round_number}-{contractor_id}"


class ReviewStore(Protocol):
    """Durable rounds and reviews. Every method is one transaction; a decision is stored with
    its audit event in the same transaction."""

    def latest_round(self) -> ReviewRound | None:
        """The round with the highest number, if any."""
        ...

    def start_round(
        self, new: ReviewRound, subjects: Sequence[tuple[str, str]], *, event: AuditEntry
    ) -> bool:
        """Insert the round and one review per ``(contractor_id, manager)`` with its event, in
        one transaction; ``False`` (nothing changed) when that round number exists already
        (another replica, or a run that crashed after starting it)."""
        ...

    def reviews(
        self, *, round_number: int | None = None, open_only: bool = False
    ) -> list[AccessReview]:
        """Reviews (of one round, or all), open ones only if asked, by round then manager."""
        ...

    def get_review(self, review: str) -> AccessReview:
        """The review with this id; raise ``ReviewNotFound``."""
        ...

    def claim_delivery(
        self, reviews: Collection[str], *, recipient: Recipient, at: datetime, reminder: bool
    ) -> list[str]:
        """Mark the open reviews not yet sent (``reminder``: not yet reminded) as sent to
        ``recipient`` at ``at``, each with one conditional UPDATE; return the ids won, so two
        senders never deliver the same review twice."""
        ...

    def release_delivery(self, reviews: Collection[str], *, reminder: bool) -> None:
        """Undo ``claim_delivery`` after Slack refused the message, so a later run retries."""
        ...

    def decide(
        self, review: str, *, decision: Decision, by: str, at: datetime, event: AuditEntry
    ) -> AccessReview:
        """Record the answer of an open review with its audit event (one conditional UPDATE);
        raise ``ReviewAlreadyDecided`` (nothing changed) when it has one already."""
        ...

    def still_holding_access(self) -> list[AccessReview]:
        """Reviews decided ``end`` or ``lapsed`` whose contractor may still hold access (the
        sweep revokes them)."""
        ...


class ReviewMessenger(Protocol):
    """How reviewers hear of their reviews (Slack in production)."""

    def manager_is_gone(self, manager: str) -> bool:
        """Whether ``manager`` left the manager role or Slack; raise when that cannot be
        told now (the reviews wait for the next run rather than go to the wrong person)."""
        ...

    def send_reviews(
        self, reviews: Sequence[AccessReview], *, recipient: Recipient, reminder: bool
    ) -> None:
        """Deliver one manager's reviews to ``recipient`` with Keep / End buttons; raise
        ``ReviewNotDelivered`` when the messaging service refused."""
        ...


class ReviewNotFound(CredbotError):
    """No review has this id."""

    def __init__(self, review: str) -> None:
        super().__init__(f"no access review {review}")
        self.review = review


class ReviewAlreadyDecided(CredbotError):
    """The review was answered before (a second click, or a race); nothing changed."""

    def __init__(self, review: AccessReview) -> None:
        super().__init__(f"access review {review.id} was already answered ({review.decision})")
        self.review = review


class ReviewClosed(CredbotError):
    """The answer came after the deadline: the review lapsed and access ends."""

    def __init__(self, review: AccessReview) -> None:
        super().__init__(f"access review {review.id} closed at {review.deadline:%Y-%m-%d %H:%M}")
        self.review = review


class NotTheReviewer(CredbotError):
    """The clicker is not the person who must answer this review."""

    def __init__(self, review: AccessReview, *, actor: str) -> None:
        super().__init__(f"{actor} may not answer access review {review.id}")
        self.review = review
        self.actor = actor


class ReviewNotDelivered(CredbotError):
    """The messaging service refused a review message; ``error`` is its reason."""

    def __init__(self, *, to: str, error: str) -> None:
        super().__init__(f"review message to {to} not delivered: {error}")
        self.to = to
        self.error = error
