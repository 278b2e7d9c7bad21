"""Access reviews in tests: the real store on the test database, and a messenger that records
what reviewers would have received (the Slack one is tested through the Slack stand-in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.core import issuing, onboarding
from bot.core.context import Core
from bot.core.models import Contractor
from bot.core.review_interfaces import AccessReview, Recipient, ReviewNotDelivered
from bot.core.reviews import AccessReviews, ReviewPolicy
from bot.storage.reviews import SqlReviews
from tests.support.contractor import enrol
from tests.support.core import APPROVER, MANAGER, link_secret, request_for
from vault.models import AccountSecrets

INTERVAL = timedelta(days=90)
GRACE = timedelta(days=14)


@dataclass(frozen=True)
class Delivery:
    """One review message: to whom, about whose contractors, first message or reminder."""

    recipient: Recipient
    manager: str
    reviews: tuple[str, ...]
    reminder: bool


@dataclass
class RecordingMessenger:
    """``ReviewMessenger`` that records deliveries; ``gone`` managers left; ``refuse`` makes
    the next deliveries fail as Slack would."""

    gone: set[str] = field(default_factory=set)
    refuse: bool = False
    sent: list[Delivery] = field(default_factory=list)

    def manager_is_gone(self, manager: str) -> bool:
        return manager in self.gone

    def send_reviews(
        self, reviews: Sequence[AccessReview], *, recipient: Recipient, reminder: bool
    ) -> None:
        if self.refuse:
            raise ReviewNotDelivered(to=recipient, error="channel_not_found")
        self.sent.append(
            Delivery(
                recipient=recipient,
                manager=reviews[0].manager,
                reviews=tuple(review.id for review in reviews),
                reminder=reminder,
            )
        )


@pytest.fixture
def messenger() -> RecordingMessenger:
    return RecordingMessenger()


@pytest.fixture
def access_reviews(engine: Engine, messenger: RecordingMessenger) -> AccessReviews:
    """Access reviews every 90 days with 14 days to answer, on the test database."""
    return AccessReviews(
        store=SqlReviews(engine=engine),
        messenger=messenger,
        policy=ReviewPolicy(interval=INTERVAL, grace=GRACE),
    )


def active(core: Core, *, manager: str = MANAGER) -> tuple[Contractor, AccountSecrets]:
    """An active contractor asked for by ``manager``, and what they saved."""
    contractor = onboarding.request_onboarding(core, request_for(), requester=manager)
    onboarding.verify(core, contractor.id, checks=[])
    onboarding.approve(core, contractor.id, approver=APPROVER)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    secrets = enrol(core, link_secret(issued.url), issued.code)
    return core.store.get_contractor(contractor.id), secrets
