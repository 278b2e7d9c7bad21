"""``SqlSharing``: the ``bot.core.sharing.SharingStore`` on SQLite or PostgreSQL.

A batch of the audit log is one transaction: the reader's position moves with one conditional
statement (an UPDATE guarded by the old position, or an INSERT that the primary key lets only
one first reader make), the new logins and flags are inserted and the flags' audit events
appended to the chain. A reader whose position moved meanwhile changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.core.models import AuditEntry
from bot.core.sharing import (
    AccountUse,
    Batch,
    FlagStatus,
    LogPosition,
    NewFlag,
    PositionMoved,
    SharingFlag,
)
from bot.core.vault_logins import VaultLogin
from bot.storage.audit_log import append_events, write_audited
from bot.storage.engine import read_only
from bot.storage.tables import (
    audit_events,
    sharing_flags,
    vault_accounts,
    vault_audit_readers,
    vault_logins,
)

LOGINS_KEPT = timedelta(days=1)
"""How long read logins are kept: far beyond any sharing window (at most a day), never for
good: a source address is personal data."""


class SqlSharing:
    """What shared-account detection keeps, on one engine (``max_attempts``: see
    ``write_audited``)."""

    def __init__(self, *, engine: Engine, max_attempts: int = 10) -> None:
        self._engine = engine
        self._max_attempts = max_attempts

    def log_position(self, reader: str) -> LogPosition | None:
        """``SELECT`` the reader's row."""
        with self._read() as connection:
            row = connection.execute(
                sa.select(vault_audit_readers).where(vault_audit_readers.c.name == reader)
            ).first()
        return None if row is None else LogPosition(row.fingerprint, row.position)

    def unparseable_lines(self, reader: str) -> int:
        """How many lines ``reader`` skipped as unparseable, in all."""
        with self._read() as connection:
            count = connection.execute(
                sa.select(vault_audit_readers.c.unparseable).where(
                    vault_audit_readers.c.name == reader
                )
            ).scalar()
        return int(count or 0)

    def known_logins(self, request_ids: Sequence[str]) -> set[str]:
        """The ids among ``request_ids`` stored already."""
        if not request_ids:
            return set()
        with self._read() as connection:
            rows = connection.execute(
                sa.select(vault_logins.c.request_id).where(
                    vault_logins.c.request_id.in_(list(request_ids))
                )
            )
            return {row.request_id for row in rows}

    def logins_since(self, username: str, *, since: datetime) -> list[VaultLogin]:
        """The username's logins at or after ``since`` (indexed on username and time)."""
        with self._read() as connection:
            rows = connection.execute(
                sa.select(vault_logins)
                .where(vault_logins.c.username == username, vault_logins.c.at >= since)
                .order_by(vault_logins.c.at)
            )
            return [VaultLogin(**row._mapping) for row in rows]

    def account_use(self, username: str) -> AccountUse | None:
        """The account's contractor, and its first ``activated`` audit event after the
        account was created (each reissue creates a newer account)."""
        with self._read() as connection:
            account = connection.execute(
                sa.select(vault_accounts).where(vault_accounts.c.username == username)
            ).first()
            if account is None:
                return None
            activated = connection.execute(
                sa.select(sa.func.min(audit_events.c.at)).where(
                    audit_events.c.contractor_id == account.contractor_id,
                    audit_events.c.action == "activated",
                    audit_events.c.at >= account.created_at,
                )
            ).scalar()
        return AccountUse(contractor_id=account.contractor_id, activated_at=activated)

    def latest_flag(self, username: str) -> SharingFlag | None:
        """The newest flag of ``username``."""
        with self._read() as connection:
            row = connection.execute(
                sa.select(sharing_flags)
                .where(sharing_flags.c.username == username)
                .order_by(sharing_flags.c.raised_at.desc())
                .limit(1)
            ).first()
        return None if row is None else _flag(row)

    def take_in(
        self,
        reader: str,
        batch: Batch,
        *,
        logins: Sequence[VaultLogin],
        flags: Sequence[NewFlag],
        at: datetime,
    ) -> None:
        """See ``SharingStore.take_in``."""

        def work(connection: Connection) -> None:
            _move(connection, reader, batch, at=at)
            if logins:
                connection.execute(
                    sa.insert(vault_logins), [_login_values(login) for login in logins]
                )
                connection.execute(
                    sa.delete(vault_logins).where(vault_logins.c.at < at - LOGINS_KEPT)
                )
            if flags:
                connection.execute(
                    sa.insert(sharing_flags), [_flag_values(new.flag) for new in flags]
                )
                append_events(connection, [new.event for new in flags])

        try:
            write_audited(self._engine, work, max_attempts=self._max_attempts)
        except IntegrityError as error:
            if _is_position_race(error):
                raise PositionMoved("another reader took this part of the audit log in") from None
            raise

    def unalerted_flags(self) -> list[SharingFlag]:
        """Flags not yet posted, oldest first."""
        with self._read() as connection:
            rows = connection.execute(
                sa.select(sharing_flags)
                .where(sharing_flags.c.alerted.is_(False))
                .order_by(sharing_flags.c.raised_at)
            )
            return [_flag(row) for row in rows]

    def mark_alerted(self, flag_id: str) -> None:
        """``UPDATE`` the flag as posted."""
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(sharing_flags).where(sharing_flags.c.id == flag_id).values(alerted=True)
            )

    def get_flag(self, flag_id: str) -> SharingFlag | None:
        """The flag by id."""
        with self._read() as connection:
            row = connection.execute(
                sa.select(sharing_flags).where(sharing_flags.c.id == flag_id)
            ).first()
        return None if row is None else _flag(row)

    def set_flag_status(
        self,
        flag_id: str,
        *,
        expected: FlagStatus,
        status: FlagStatus,
        by: str | None,
        at: datetime | None,
        event: AuditEntry,
    ) -> SharingFlag | None:
        """One UPDATE guarded by ``expected``, and the event, in one transaction."""

        def work(connection: Connection) -> SharingFlag | None:
            moved = connection.execute(
                sa.update(sharing_flags)
                .where(sharing_flags.c.id == flag_id, sharing_flags.c.status == expected)
                .values(status=status, decided_by=by, decided_at=at)
            )
            if moved.rowcount != 1:
                return None
            append_events(connection, [event])
            row = connection.execute(
                sa.select(sharing_flags).where(sharing_flags.c.id == flag_id)
            ).one()
            return _flag(row)

        return write_audited(self._engine, work, max_attempts=self._max_attempts)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read-only transaction (SQLite: a deferred BEGIN that never blocks writers)."""
        with read_only(self._engine.connect()) as connection, connection.begin():
            yield connection


def _move(connection: Connection, reader: str, batch: Batch, *, at: datetime) -> None:
    """Move the reader from ``batch.start`` to ``batch.end``, or raise ``PositionMoved``."""
    values: dict[str, Any] = {
        "fingerprint": batch.end.fingerprint,
        "position": batch.end.offset,
        "updated_at": at,
    }
    if batch.start is None:
        # The first batch ever: the primary key lets one reader insert (a second one's
        # IntegrityError is recognised by the caller).
        connection.execute(
            sa.insert(vault_audit_readers).values(
                name=reader, unparseable=batch.unparseable, **values
            )
        )
        return
    moved = connection.execute(
        sa.update(vault_audit_readers)
        .where(
            vault_audit_readers.c.name == reader,
            vault_audit_readers.c.fingerprint == batch.start.fingerprint,
            vault_audit_readers.c.position == batch.start.offset,
        )
        .values(unparseable=vault_audit_readers.c.unparseable + batch.unparseable, **values)
    )
    if moved.rowcount != 1:
        raise PositionMoved("another reader took this part of the audit log in")


def _is_position_race(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "vault_audit_readers" in text or "vault_logins" in text


def _login_values(login: VaultLogin) -> dict[str, Any]:
    return {
        "request_id": login.request_id,
        "username": login.username,
        "remote_address": login.remote_address,
        "at": login.at,
        "refused": login.refused,
    }


def _flag_values(flag: SharingFlag) -> dict[str, Any]:
    return {
        "id": flag.id,
        "username": flag.username,
        "contractor_id": flag.contractor_id,
        "logins": [_login_json(login) for login in flag.logins],
        "reasons": ",".join(flag.reasons),
        "raised_at": flag.raised_at,
        "status": flag.status,
        "decided_by": flag.decided_by,
        "decided_at": flag.decided_at,
        "alerted": False,
    }


def _login_json(login: VaultLogin) -> dict[str, Any]:
    return {**_login_values(login), "at": login.at.isoformat()}


def _flag(row: sa.Row[Any]) -> SharingFlag:
    return SharingFlag(
        id=row.id,
        username=row.username,
        contractor_id=row.contractor_id,
        logins=tuple(
            VaultLogin(**{**entry, "at": datetime.fromisoformat(entry["at"])})
            for entry in row.logins
        ),
        reasons=tuple(reason for reason in row.reasons.split(",") if reason),
        raised_at=row.raised_at,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
