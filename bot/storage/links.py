"""``SqlLinks``: one-time enrollment links (their hash and sealed tokens, never the secret)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.core.models import Contractor, LinkRecord
from bot.storage.mapping import to_link_and_contractor
from bot.storage.tables import contractors, links
from bot.storage.transactions import SqlTransactions

_WITH_CONTRACTOR = (
    sa.select(links, contractors)
    .join_from(links, contractors, links.c.contractor_id == contractors.c.id)
    .where(links.c.link_hash == sa.bindparam("link_hash"))
)
"""Built once (see ``bot.storage.changes``): every page of a link, every reveal, reads it."""

_CLAIM = (
    sa.update(links)
    .where(
        links.c.link_hash == sa.bindparam("claimed_hash"),
        links.c.claimed_at.is_(None),
        links.c.invalidated_at.is_(None),
        links.c.expires_at > sa.bindparam("now"),
        links.c.failed_confirmations < sa.bindparam("max_failures"),
    )
    .values(
        claimed_at=sa.bindparam("new_claimed_at"), proof_digest=sa.bindparam("new_proof_digest")
    )
)
"""Built once, as ``_WITH_CONTRACTOR``: every reveal claims its link."""


class SqlLinks(SqlTransactions):
    """``bot.core.stores.LinkRecords`` on SQLite or PostgreSQL."""

    def add_link(self, link: LinkRecord) -> None:
        """Store a new link (its hash and the sealed wrapping token, never the link secret)."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.insert(links).values(
                    {column.name: getattr(link, column.name) for column in links.columns}
                )
            )

    def get_link_with_contractor(self, link_hash: str) -> tuple[LinkRecord, Contractor] | None:
        """Return the link with this hash and its contractor, if any: one ``SELECT`` joining
        the two (on PostgreSQL in autocommit, see ``_read_row``), not two reads."""
        row = self._read_row(_WITH_CONTRACTOR, {"link_hash": link_hash})
        return None if row is None else to_link_and_contractor(row)

    def claim_link(
        self, link_hash: str, *, now: datetime, proof_digest: str, max_failures: int
    ) -> bool:
        """Mark the link claimed at ``now`` with the reveal's ``proof_digest``, if unclaimed,
        not invalidated, unexpired and under ``max_failures`` wrong confirmation codes.

        One conditional UPDATE, so the database decides: of any number of concurrent callers
        exactly one sees a row count of 1 and gets ``True``, and a link that wrong codes
        locked meanwhile is never claimed by a racing right one.
        """
        with self._engine.begin() as connection:
            result = connection.execute(
                _CLAIM,
                {
                    "claimed_hash": link_hash,
                    "now": now,
                    "max_failures": max_failures,
                    "new_claimed_at": now,
                    "new_proof_digest": proof_digest,
                },
            )
            return result.rowcount == 1

    def release_link(self, link_hash: str, *, claimed_at: datetime) -> None:
        """Undo the claim made at ``claimed_at`` (one conditional UPDATE): Vault did not answer
        during the unwrap, so an outage must not burn the link. Another claim is left alone."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(links)
                .where(links.c.link_hash == link_hash, links.c.claimed_at == claimed_at)
                .values(claimed_at=None, proof_digest=None)
            )

    def record_failed_confirmation(
        self, link_hash: str, *, limit: int, now: datetime
    ) -> int | None:
        """Count one wrong confirmation code on an unclaimed, valid link, invalidating it at
        ``now`` when the count reaches ``limit``: one atomic UPDATE, so counting and locking are
        one step and no concurrent code is lost. Return the new count, or ``None`` when the
        link was claimed or invalidated meanwhile (nothing counted)."""

        def work(connection: Connection) -> int | None:
            count = connection.execute(
                sa.update(links)
                .where(
                    links.c.link_hash == link_hash,
                    links.c.claimed_at.is_(None),
                    links.c.invalidated_at.is_(None),
                )
                .values(
                    failed_confirmations=links.c.failed_confirmations + 1,
                    invalidated_at=sa.case(
                        (links.c.failed_confirmations + 1 >= limit, now),
                        else_=links.c.invalidated_at,
                    ),
                )
                .returning(links.c.failed_confirmations)
            ).scalar()
            return None if count is None else int(count)

        return self._write(work)

    def invalidate_links(self, contractor_id: str, *, at: datetime) -> None:
        """Make every unclaimed, still valid link of this contractor unusable from ``at`` on."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(links)
                .where(
                    links.c.contractor_id == contractor_id,
                    links.c.claimed_at.is_(None),
                    links.c.invalidated_at.is_(None),
                )
                .values(invalidated_at=at)
            )
