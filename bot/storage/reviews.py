"""``SqlReviews``: access-review rounds and reviews on SQLite or PostgreSQL.

Idempotence lives in the schema: a round number is a primary key and ``(round,
contractor_id)`` is unique, so a second start of the same round inserts nothing. Delivery and
decisions are conditional UPDATEs (``sent_at IS NULL``, ``decision IS NULL``): of two callers
exactly one wins, whatever the isolation level. A decision and its audit event share one
transaction, retried whole on an audit ``seq`` collision (``SqlTransactions``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from bot.core.models import AuditEntry
from bot.core.review_interfaces import (
    AccessReview,
    Decision,
    Recipient,
    ReviewAlreadyDecided,
    ReviewNotFound,
    ReviewRound,
    review_id,
)
from bot.core.states import CONTRACT_END_STATES
from bot.storage.tables import access_reviews, contractors, review_rounds
from bot.storage.transactions import SqlTransactions

_COLUMNS = (
    access_reviews,
    review_rounds.c.deadline,
    contractors.c.slack_user_id.label("contractor_slack_id"),
    contractors.c.display_name.label("contractor_name"),
)


class SqlReviews(SqlTransactions):
    """``bot.core.review_interfaces.ReviewStore`` on SQLite or PostgreSQL."""

    def latest_round(self) -> ReviewRound | None:
        """The highest-numbered round (primary-key read)."""
        with self._reader() as connection:
            row = connection.execute(
                sa.select(review_rounds).order_by(review_rounds.c.number.desc()).limit(1)
            ).first()
        if row is None:
            return None
        return ReviewRound(number=row.number, started_at=row.started_at, deadline=row.deadline)

    def start_round(
        self, new: ReviewRound, subjects: Sequence[tuple[str, str]], *, event: AuditEntry
    ) -> bool:
        """Insert the round, its reviews and its event in one transaction; the round's primary
        key refuses a second start (``False``)."""

        def insert(connection: Connection) -> None:
            connection.execute(
                sa.insert(review_rounds).values(
                    number=new.number, started_at=new.started_at, deadline=new.deadline
                )
            )
            if subjects:
                connection.execute(
                    sa.insert(access_reviews),
                    [
                        {
                            "id": review_id(new.number, contractor_id),
                            "round": new.number,
                            "contractor_id": contractor_id,
                            "manager": manager,
                            "recipient": "manager",
                        }
                        for contractor_id, manager in subjects
                    ],
                )
            self._append(connection, event)

        try:
            self._write(insert)
        except IntegrityError:  # the round exists (audit collisions are retried by _write)
            return False
        return True

    def reviews(
        self, *, round_number: int | None = None, open_only: bool = False
    ) -> list[AccessReview]:
        """Reviews joined with their round's deadline and the contractor's name."""
        query = _select().order_by(
            access_reviews.c.round, access_reviews.c.manager, access_reviews.c.id
        )
        if round_number is not None:
            query = query.where(access_reviews.c.round == round_number)
        if open_only:
            query = query.where(access_reviews.c.decision.is_(None))
        with self._reader() as connection:
            return [_to_review(row) for row in connection.execute(query)]

    def get_review(self, review: str) -> AccessReview:
        """One review; ``ReviewNotFound``."""
        with self._reader() as connection:
            return _read(connection, review)

    def claim_delivery(
        self, reviews: Collection[str], *, recipient: Recipient, at: datetime, reminder: bool
    ) -> list[str]:
        """One conditional UPDATE per review (``sent_at``/``reminded_at`` still empty)."""
        column = access_reviews.c.reminded_at if reminder else access_reviews.c.sent_at
        won = []
        with self._engine.begin() as connection:  # no audit entry: nothing to retry
            for review in reviews:
                result = connection.execute(
                    sa.update(access_reviews)
                    .where(
                        access_reviews.c.id == review,
                        column.is_(None),
                        access_reviews.c.decision.is_(None),
                    )
                    .values({column.key: at, "recipient": recipient})
                )
                if result.rowcount == 1:
                    won.append(review)
        return won

    def release_delivery(self, reviews: Collection[str], *, reminder: bool) -> None:
        """Empty ``sent_at`` (or ``reminded_at``) again."""
        column = access_reviews.c.reminded_at if reminder else access_reviews.c.sent_at
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(access_reviews)
                .where(access_reviews.c.id.in_(list(reviews)))
                .values({column.key: None})
            )

    def decide(
        self, review: str, *, decision: Decision, by: str, at: datetime, event: AuditEntry
    ) -> AccessReview:
        """``UPDATE ... WHERE decision IS NULL`` with the event, or ``ReviewAlreadyDecided``."""

        def update(connection: Connection) -> tuple[bool, AccessReview]:
            result = connection.execute(
                sa.update(access_reviews)
                .where(access_reviews.c.id == review, access_reviews.c.decision.is_(None))
                .values(decision=decision, decided_by=by, decided_at=at)
            )
            if result.rowcount == 1:
                self._append(connection, event)
            return result.rowcount == 1, _read(connection, review)

        won, current = self._write(update)
        if not won:
            raise ReviewAlreadyDecided(current)
        return current

    def still_holding_access(self) -> list[AccessReview]:
        """Ending decisions whose contractor is still in a state the sweep must revoke."""
        ending = ("end", "lapsed")
        query = _select().where(
            access_reviews.c.decision.in_(ending),
            contractors.c.state.in_([state.value for state in CONTRACT_END_STATES]),
        )
        with self._reader() as connection:
            return [_to_review(row) for row in connection.execute(query)]


def _select() -> sa.Select[Any]:
    return sa.select(*_COLUMNS).join_from(access_reviews, review_rounds).join(contractors)


def _read(connection: Connection, review: str) -> AccessReview:
    row = connection.execute(_select().where(access_reviews.c.id == review)).first()
    if row is None:
        raise ReviewNotFound(review)
    return _to_review(row)


def _to_review(row: Row[Any]) -> AccessReview:
    return AccessReview(
        id=row.id,
        round=row.round,
        contractor_id=row.contractor_id,
        contractor_slack_id=row.contractor_slack_id,
        contractor_name=row.contractor_name,
        manager=row.manager,
        recipient=cast(Recipient, row.recipient),
        deadline=row.deadline,
        sent_at=row.sent_at,
        reminded_at=row.reminded_at,
        decision=cast(Decision | None, row.decision),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
