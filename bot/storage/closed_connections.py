"""PostgreSQL: pooled connections the server closed are replaced at checkout, with no round trip.

A database restart (or ``pg_terminate_backend``, ``idle_session_timeout``, a crashed backend)
ends every pooled connection: the server sends its last message and closes the socket. The
next statement on such a connection would fail, so each checkout must find out first.
SQLAlchemy's ``pool_pre_ping`` does it with a ``SELECT 1`` per checkout: one more round trip per
transaction, which an ``offboard`` paid three times. Here the checkout asks the kernel instead
(``poll`` with no timeout on the connection's socket): a connection idle in the pool has nothing
to read, so a readable socket means the server spoke or hung up. Then the whole pool is
invalidated, as a failed ping does (a restart ends every connection, not one), and SQLAlchemy
opens a fresh connection for this checkout.

Why this is as safe as the ping: after a restart the old sockets are closed by the time the
server accepts connections again, so the first checkout sees it. A connection the server
ends between the check and the first statement fails that statement, as it would after a
successful ping; SQLAlchemy then invalidates the pool too. A false alarm (a notice or a
parameter change sent to an idle session) only costs a reconnect. What neither notices is a
peer that vanished without closing (a host powered off): the ping would hang on it as well.
"""

from __future__ import annotations

import select
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection


def replace_closed_connections(engine: sa.Engine) -> None:
    """Check each pooled connection of ``engine`` (psycopg) at checkout; see the module doc."""

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(
        dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        if server_spoke(dbapi_connection):
            raise sa.exc.InvalidatePoolError("the server closed the connection")


def server_spoke(dbapi_connection: Any) -> bool:
    """Whether the idle psycopg connection has anything to read (a message, or the end of the
    stream), or is closed already."""
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
