"""Access reviews: every interval each manager re-confirms their active contractors.

The sweep drives them (``run_reviews``), so they run under the sweep lease, one replica at a
time: it starts a round when one is due, delivers the reviews not sent yet, reminds once at
half the grace period, and records reviews nobody answered by the deadline as ``lapsed``.
The sweep then revokes every contractor whose review ended (``end`` or ``lapsed``) through
its own batched path, as for an ended contract; a crash between the decision and the
revocation is finished by the next sweep (``ReviewStore.still_holding_access``).

Delivery is claimed in storage before the message is sent, so two senders never deliver the
same review twice; a crash between the claim and the message loses at most that message,
and the reminder (sent whatever happened to the first message) still reaches the reviewer.

A manager who left the manager role or Slack no longer answers for their contractors: their
reviews (and reminders) go to the admins, and only admins may answer those.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import groupby
from typing import Literal

from bot.core import revocation
from bot.core.context import Core
from bot.core.review_interfaces import (
    AccessReview,
    Decision,
    NotTheReviewer,
    Recipient,
    ReviewAlreadyDecided,
    ReviewClosed,
    ReviewMessenger,
    ReviewNotDelivered,
    ReviewRound,
    ReviewStore,
)
from bot.core.states import State

log = logging.getLogger("credbot.core.reviews")

Answer = Literal["keep", "end"]


@dataclass(frozen=True)
class ReviewPolicy:
    """How often rounds start and how long reviewers have to answer."""

    interval: timedelta
    grace: timedelta

    @property
    def remind_before_deadline(self) -> timedelta:
        """The one reminder goes at half the grace period."""
        return self.grace / 2


@dataclass(frozen=True)
class AccessReviews:
    """What access reviews run against; built in ``bot.wiring`` when they are on."""

    store: ReviewStore
    messenger: ReviewMessenger
    policy: ReviewPolicy


@dataclass
class ReviewRun:
    """What one ``run_reviews`` did (part of the sweep's report)."""

    started_round: int | None = None
    sent: int = 0
    reminded: int = 0
    lapsed: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Reviewer:
    """Who clicked, and the roles they hold now (asked fresh by the door)."""

    user: str
    is_manager: bool
    is_admin: bool


def run_reviews(core: Core, reviews: AccessReviews, *, actor: str) -> ReviewRun:
    """Start a due round, lapse overdue reviews, deliver new ones, send due reminders. A
    delivery that fails is a problem in the report and is retried by the next run."""
    run = ReviewRun(started_round=_start_round_if_due(core, reviews, actor=actor))
    now = core.clock.now()
    pending: list[AccessReview] = []
    for review in reviews.store.reviews(open_only=True):
        if review.deadline <= now:
            run.lapsed += _lapse(core, reviews, review, actor=actor)
        else:
            pending.append(review)
    unsent = [review for review in pending if review.sent_at is None]
    run.sent = _deliver(core, reviews, unsent, reminder=False, run=run)
    remind_from = reviews.policy.remind_before_deadline
    due = [
        review
        for review in pending
        if review.sent_at is not None
        and review.reminded_at is None
        and now >= review.deadline - remind_from
    ]
    run.reminded = _deliver(core, reviews, due, reminder=True, run=run)
    return run


def answer(
    core: Core, reviews: AccessReviews, review_id: str, *, decision: Answer, reviewer: Reviewer
) -> AccessReview:
    """Record a reviewer's answer; for ``end``, revoke at once through offboarding.

    Raises ``ReviewNotFound``, ``NotTheReviewer``, ``ReviewAlreadyDecided`` or
    ``ReviewClosed`` (past the deadline), each changing nothing; ``RevocationPending`` when
    the answer is recorded but Vault has not confirmed the revocation yet (the sweep finishes
    it).
    """
    review = reviews.store.get_review(review_id)
    _authorize(review, reviewer)
    if review.decision is not None:
        raise ReviewAlreadyDecided(review)
    if core.clock.now() >= review.deadline:
        raise ReviewClosed(review)
    decided = _decide(core, reviews, review, decision=decision, actor=reviewer.user)
    if decision == "end":
        revocation.offboard(
            core, review.contractor_id, actor=reviewer.user, reason=ending_reason(decided)
        )
    return decided


def keep_all(
    core: Core, reviews: AccessReviews, *, round_number: int, manager: str, reviewer: Reviewer
) -> list[AccessReview]:
    """Answer ``keep`` for every open review of ``manager``'s contractors in the round that
    ``reviewer`` may answer; return those answered (empty: nothing was left open)."""
    kept = []
    for review in reviews.store.reviews(round_number=round_number, open_only=True):
        if review.manager != manager:
            continue
        try:
            kept.append(answer(core, reviews, review.id, decision="keep", reviewer=reviewer))
        except ReviewAlreadyDecided:
            continue
    return kept


def ending_reason(review: AccessReview) -> str:
    """The offboarding reason of a contractor whose review ended their access."""
    if review.decision == "lapsed":
        return f"access review {review.id}: not answered by the deadline"
    return f"access review {review.id}: access ended by {review.decided_by}"


def _authorize(review: AccessReview, reviewer: Reviewer) -> None:
    """Only the admins answer reviews sent to them; only the contractor's manager, still a
    manager, answers the others."""
    allowed = (
        reviewer.is_admin
        if review.recipient == "admins"
        else reviewer.user == review.manager and reviewer.is_manager
    )
    if not allowed:
        raise NotTheReviewer(review, actor=reviewer.user)


def _start_round_if_due(core: Core, reviews: AccessReviews, *, actor: str) -> int | None:
    """Start the next round when the last one started an interval ago (or there is none);
    return its number, or ``None`` when none was due or another run started it first."""
    now = core.clock.now()
    latest = reviews.store.latest_round()
    if latest is not None and now < latest.started_at + reviews.policy.interval:
        return None
    number = latest.number + 1 if latest else 1
    new = ReviewRound(number=number, started_at=now, deadline=now + reviews.policy.grace)
    subjects = [
        (contractor.id, contractor.requested_by)
        for contractor in core.store.list_contractors(states={State.ACTIVE})
    ]
    event = core.entry(
        actor=actor,
        action="access_review_started",
        details={"round": number, "reviews": len(subjects), "deadline": new.deadline.isoformat()},
    )
    return number if reviews.store.start_round(new, subjects, event=event) else None


def _lapse(core: Core, reviews: AccessReviews, review: AccessReview, *, actor: str) -> int:
    """Record an overdue review as ``lapsed``; 1 if this run did, 0 if an answer won."""
    try:
        _decide(core, reviews, review, decision="lapsed", actor=actor)
    except ReviewAlreadyDecided:
        return 0
    return 1


def _decide(
    core: Core, reviews: AccessReviews, review: AccessReview, *, decision: Decision, actor: str
) -> AccessReview:
    event = replace(
        core.entry(
            actor=actor,
            action="access_review_decided",
            reason=f"access review {review.id}: {decision}",
            details={
                "review": review.id,
                "round": review.round,
                "decision": decision,
                "recipient": review.recipient,
                "manager": review.manager,
            },
        ),
        contractor_id=review.contractor_id,
    )
    return reviews.store.decide(review.id, decision=decision, by=actor, at=event.at, event=event)


def _deliver(
    core: Core,
    reviews: AccessReviews,
    due: Sequence[AccessReview],
    *,
    reminder: bool,
    run: ReviewRun,
) -> int:
    """Send ``due`` grouped by manager, each group to whoever answers for it now; return how
    many reviews were delivered."""
    delivered = 0
    ordered = sorted(due, key=lambda review: (review.manager, review.id))
    for manager, group in groupby(ordered, key=lambda review: review.manager):
        try:
            recipient: Recipient = (
                "admins" if reviews.messenger.manager_is_gone(manager) else "manager"
            )
        except Exception as exc:  # the directory is Slack: unknown now, retried next run
            run.problems.append(f"could not tell whether {manager} is still a manager: {exc}")
            continue
        delivered += _send(
            core, reviews, list(group), recipient=recipient, reminder=reminder, run=run
        )
    return delivered


def _send(
    core: Core,
    reviews: AccessReviews,
    group: list[AccessReview],
    *,
    recipient: Recipient,
    reminder: bool,
    run: ReviewRun,
) -> int:
    """Claim the group's delivery, send what was won, release it if the message failed."""
    won = set(
        reviews.store.claim_delivery(
            [review.id for review in group],
            recipient=recipient,
            at=core.clock.now(),
            reminder=reminder,
        )
    )
    mine = [replace(review, recipient=recipient) for review in group if review.id in won]
    if not mine:
        return 0
    try:
        reviews.messenger.send_reviews(mine, recipient=recipient, reminder=reminder)
    except ReviewNotDelivered as exc:
        reviews.store.release_delivery(won, reminder=reminder)
        run.problems.append(str(exc))
        return 0
    return len(mine)
