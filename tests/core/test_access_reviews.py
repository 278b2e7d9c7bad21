"""Access reviews on real backends (both databases, OpenBao): rounds on the injected clock,
one delivery per review, one reminder, lapsing into revocation, and every bad answer refused."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.errors import RevocationPending
from bot.core.models import Contractor
from bot.core.review_interfaces import (
    NotTheReviewer,
    ReviewAlreadyDecided,
    ReviewClosed,
    ReviewRound,
)
from bot.core.reviews import AccessReviews, Reviewer, answer, keep_all, run_reviews
from bot.core.states import State
from bot.core.sweep import SweepOptions, sweep
from tests.support.contractor import can_log_in, login_fails
from tests.support.core import MANAGER
from tests.support.openbao import OpenBaoServer
from tests.support.reviews import GRACE, INTERVAL, Delivery, RecordingMessenger, active

RUN = SweepOptions(worker="test-sweep")
OTHER_MANAGER = "UMANAGER2"
ADMIN = "UADMIN1"
AS_MANAGER = Reviewer(user=MANAGER, is_manager=True, is_admin=False)


def review_of(reviews: AccessReviews, contractor: Contractor) -> str:
    (found,) = [r.id for r in reviews.store.reviews() if r.contractor_id == contractor.id]
    return found


def audit_count(core: Core) -> int:
    return sum(1 for _ in core.store.audit_events())


def test_each_manager_gets_one_message_per_round_listing_their_active_contractors(
    core: Core,
    access_reviews: AccessReviews,
    messenger: RecordingMessenger,
    clock: FrozenClock,
) -> None:
    first, _ = active(core)
    second, _ = active(core)
    other, _ = active(core, manager=OTHER_MANAGER)

    report = sweep(core, RUN, reviews=access_reviews)

    assert report.reviews is not None and report.reviews.started_round == 1
    by_manager = {d.manager: set(d.reviews) for d in messenger.sent}
    assert by_manager == {
        MANAGER: {review_of(access_reviews, first), review_of(access_reviews, second)},
        OTHER_MANAGER: {review_of(access_reviews, other)},
    }
    assert all(d.recipient == "manager" and not d.reminder for d in messenger.sent)

    sweep(core, RUN, reviews=access_reviews)  # the next scheduled sweep, same day
    clock.advance(INTERVAL / 2)
    sweep(core, RUN, reviews=access_reviews)  # past the reminder: only reminders go
    assert len([d for d in messenger.sent if not d.reminder]) == 2

    clock.advance(INTERVAL)  # the next round is due
    report = sweep(core, RUN, reviews=access_reviews)
    assert report.reviews is not None and report.reviews.started_round == 2


@pytest.mark.both_databases
def test_starting_the_same_round_twice_asks_nobody_twice(
    core: Core, access_reviews: AccessReviews
) -> None:
    contractor, _ = active(core)
    now = core.clock.now()
    again = ReviewRound(number=1, started_at=now, deadline=now + GRACE)
    event = core.entry(actor="test", action="access_review_started")
    assert access_reviews.store.start_round(again, [(contractor.id, MANAGER)], event=event)
    before = audit_count(core)
    assert not access_reviews.store.start_round(again, [(contractor.id, MANAGER)], event=event)
    assert len(access_reviews.store.reviews()) == 1 and audit_count(core) == before


@pytest.mark.both_databases
def test_a_review_nobody_answers_is_reminded_once_then_ends_access(
    core: Core,
    access_reviews: AccessReviews,
    messenger: RecordingMessenger,
    clock: FrozenClock,
    openbao: OpenBaoServer,
) -> None:
    contractor, secrets = active(core)
    sweep(core, RUN, reviews=access_reviews)
    clock.advance(GRACE / 2)
    sweep(core, RUN, reviews=access_reviews)
    sweep(core, RUN, reviews=access_reviews)
    assert [d.reminder for d in messenger.sent] == [False, True]
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE

    clock.advance(GRACE / 2)
    report = sweep(core, RUN, reviews=access_reviews)

    assert report.reviews is not None and report.reviews.lapsed == 1
    assert core.store.get_contractor(contractor.id).state is State.REVOKED
    assert login_fails(openbao.addr, secrets)
    revoked = core.store.last_audit_event(action="revocation_started")
    assert revoked is not None and "not answered by the deadline" in revoked.entry.reason


def test_end_revokes_at_once_and_keep_keeps(
    core: Core, access_reviews: AccessReviews, openbao: OpenBaoServer
) -> None:
    ended, ended_secrets = active(core)
    kept, kept_secrets = active(core)
    sweep(core, RUN, reviews=access_reviews)

    answer(
        core, access_reviews, review_of(access_reviews, ended), decision="end", reviewer=AS_MANAGER
    )
    answer(
        core, access_reviews, review_of(access_reviews, kept), decision="keep", reviewer=AS_MANAGER
    )

    assert core.store.get_contractor(ended.id).state is State.REVOKED
    assert login_fails(openbao.addr, ended_secrets)
    assert can_log_in(openbao.addr, kept_secrets)
    decided = [
        (e.entry.contractor_id, e.entry.details["decision"], e.entry.actor)
        for e in core.store.audit_events()
        if e.entry.action == "access_review_decided"
    ]
    assert decided == [(ended.id, "end", MANAGER), (kept.id, "keep", MANAGER)]
    started = core.store.last_audit_event(action="revocation_started")
    assert started is not None and review_of(access_reviews, ended) in started.entry.reason


@pytest.mark.both_databases
def test_bad_answers_are_refused_and_change_nothing(
    core: Core, access_reviews: AccessReviews, clock: FrozenClock
) -> None:
    contractor, _ = active(core)
    sweep(core, RUN, reviews=access_reviews)
    review = review_of(access_reviews, contractor)
    before = audit_count(core)

    with pytest.raises(NotTheReviewer):  # another manager
        answer(
            core,
            access_reviews,
            review,
            decision="end",
            reviewer=Reviewer(user=OTHER_MANAGER, is_manager=True, is_admin=False),
        )
    with pytest.raises(NotTheReviewer):  # an admin, while the manager answers for it
        answer(
            core,
            access_reviews,
            review,
            decision="end",
            reviewer=Reviewer(user=ADMIN, is_manager=False, is_admin=True),
        )
    assert audit_count(core) == before

    answer(core, access_reviews, review, decision="keep", reviewer=AS_MANAGER)
    after_keep = audit_count(core)
    with pytest.raises(ReviewAlreadyDecided):  # a second answer
        answer(core, access_reviews, review, decision="end", reviewer=AS_MANAGER)
    assert (
        keep_all(core, access_reviews, round_number=1, manager=MANAGER, reviewer=AS_MANAGER) == []
    )
    assert audit_count(core) == after_keep
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE


def test_an_answer_after_the_grace_period_changes_nothing(
    core: Core, access_reviews: AccessReviews, clock: FrozenClock
) -> None:
    contractor, _ = active(core)
    sweep(core, RUN, reviews=access_reviews)
    clock.advance(GRACE)
    before = audit_count(core)
    with pytest.raises(ReviewClosed):
        answer(
            core,
            access_reviews,
            review_of(access_reviews, contractor),
            decision="keep",
            reviewer=AS_MANAGER,
        )
    assert audit_count(core) == before
    assert access_reviews.store.reviews(open_only=True) != []


def test_a_manager_who_left_has_their_reviews_sent_to_the_admins(
    core: Core, access_reviews: AccessReviews, messenger: RecordingMessenger
) -> None:
    contractor, _ = active(core, manager=OTHER_MANAGER)
    messenger.gone.add(OTHER_MANAGER)
    sweep(core, RUN, reviews=access_reviews)
    review = review_of(access_reviews, contractor)
    assert messenger.sent == [
        Delivery(recipient="admins", manager=OTHER_MANAGER, reviews=(review,), reminder=False)
    ]
    with pytest.raises(NotTheReviewer):
        answer(
            core,
            access_reviews,
            review,
            decision="keep",
            reviewer=Reviewer(user=OTHER_MANAGER, is_manager=True, is_admin=False),
        )
    kept = answer(
        core,
        access_reviews,
        review,
        decision="keep",
        reviewer=Reviewer(user=ADMIN, is_manager=False, is_admin=True),
    )
    assert (kept.decision, kept.decided_by, kept.recipient) == ("keep", ADMIN, "admins")


def test_a_refused_message_is_sent_again_by_the_next_sweep(
    core: Core, access_reviews: AccessReviews, messenger: RecordingMessenger
) -> None:
    active(core)
    messenger.refuse = True
    report = sweep(core, RUN, reviews=access_reviews)
    assert report.reviews is not None and report.reviews.sent == 0 and not report.all_done
    messenger.refuse = False
    report = sweep(core, RUN, reviews=access_reviews)
    assert report.reviews is not None and report.reviews.sent == 1 and len(messenger.sent) == 1


@pytest.mark.both_databases
def test_two_replicas_running_reviews_at_once_send_each_review_once(
    core: Core, access_reviews: AccessReviews, messenger: RecordingMessenger
) -> None:
    """Without the sweep lease (a manual sweep beside a scheduled one), the unique round and
    the claimed deliveries still send every review exactly once."""
    for manager in (MANAGER, OTHER_MANAGER, MANAGER):
        active(core, manager=manager)
    barrier = threading.Barrier(4)

    def replica() -> None:
        barrier.wait()
        run_reviews(core, access_reviews, actor="replica")

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sent = [review for delivery in messenger.sent for review in delivery.reviews]
    assert sorted(sent) == sorted(r.id for r in access_reviews.store.reviews())
    assert len(sent) == 3 and len(access_reviews.store.reviews()) == 3
    starts = [e for e in core.store.audit_events() if e.entry.action == "access_review_started"]
    assert len(starts) == 1


def test_a_crash_after_claiming_never_sends_the_review_twice(
    core: Core, access_reviews: AccessReviews, clock: FrozenClock
) -> None:
    """The process dies between claiming a delivery and Slack's answer: the next run does not
    send it again; the reminder still reaches the manager."""
    active(core)
    crashing = replace(access_reviews, messenger=CrashingMessenger())
    with pytest.raises(SystemExit):
        run_reviews(core, crashing, actor="replica-that-dies")

    recording = RecordingMessenger()
    survivor = replace(access_reviews, messenger=recording)
    run_reviews(core, survivor, actor="replica")
    assert recording.sent == []
    clock.advance(GRACE / 2)
    run_reviews(core, survivor, actor="replica")
    assert [d.reminder for d in recording.sent] == [True]


class CrashingMessenger(RecordingMessenger):
    """Dies as the message would go out."""

    def send_reviews(self, *args: object, **kwargs: object) -> None:
        raise SystemExit("killed")


def test_a_manager_who_leaves_mid_round_hands_the_reminder_to_the_admins(
    core: Core, access_reviews: AccessReviews, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    contractor, _ = active(core)
    sweep(core, RUN, reviews=access_reviews)
    messenger.gone.add(MANAGER)
    clock.advance(GRACE / 2)
    sweep(core, RUN, reviews=access_reviews)

    assert [(d.recipient, d.reminder) for d in messenger.sent] == [
        ("manager", False),
        ("admins", True),
    ]
    review = review_of(access_reviews, contractor)
    with pytest.raises(NotTheReviewer):
        answer(core, access_reviews, review, decision="keep", reviewer=AS_MANAGER)
    admin = Reviewer(user=ADMIN, is_manager=False, is_admin=True)
    assert answer(core, access_reviews, review, decision="keep", reviewer=admin).decision == "keep"


def test_end_while_vault_is_sealed_is_recorded_and_the_sweep_finishes_it(
    outage_core: Core,
    access_reviews: AccessReviews,
    throwaway_openbao: OpenBaoServer,
) -> None:
    contractor, secrets = active(outage_core)
    sweep(outage_core, RUN, reviews=access_reviews)
    review = review_of(access_reviews, contractor)
    throwaway_openbao.seal()
    with pytest.raises(RevocationPending):
        answer(outage_core, access_reviews, review, decision="end", reviewer=AS_MANAGER)
    assert access_reviews.store.get_review(review).decision == "end"
    assert outage_core.store.get_contractor(contractor.id).state is State.REVOKING

    throwaway_openbao.unseal()
    sweep(outage_core, RUN, reviews=access_reviews)
    assert outage_core.store.get_contractor(contractor.id).state is State.REVOKED
    assert login_fails(throwaway_openbao.addr, secrets)
