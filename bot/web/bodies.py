"""Request bodies from the internet, bounded before any work is done on them.

Starlette's ``request.body()`` keeps reading whatever a client sends, for as long as it takes:
one unsigned 300 MiB POST grew the process by 600 MiB. Every door that reads a body reads it
with ``read_body`` instead: at most ``limit`` bytes (a larger declared ``Content-Length`` is
refused before the first byte is read) and within ``timeout_s`` of starting, whoever sends it.
Each door turns a ``BodyRefused`` into its own answer (413, 408 or 400), before any parsing or
signature check.

``CloseUnreadBodies`` then closes the connection after any answer given before the request
body was fully received (a refusal, a 404 or 405 for a body nobody reads), so the rest of a
refused body is never read and cannot keep trickling into a kept-alive connection.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import DEFAULT_READ_TIMEOUT

DEFAULT_READ_TIMEOUT_S = DEFAULT_READ_TIMEOUT.total_seconds()
TOO_SLOW = "request body not received in time"
CUT_OFF = "request body cut off"


class BodyRefused(Exception):
    """The body was not read: too large (413), too slow (408) or cut off (400). ``reason``
    is safe to show the sender; nothing of the body is in it."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def too_large(limit: int) -> BodyRefused:
    """The 413 refusal, naming the limit."""
    return BodyRefused(413, f"body larger than {_size(limit)}")


async def read_body(request: Request, *, limit: int, timeout_s: float) -> bytes:
    """The whole body, or ``BodyRefused``: 413 when it declares or reaches more than ``limit``
    bytes, 408 when it has not all arrived ``timeout_s`` after this call, 400 when the client
    went away half-way. Never holds more than ``limit`` bytes plus one chunk."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyRefused(408, TOO_SLOW) from None
    except ClientDisconnect:
        raise BodyRefused(400, CUT_OFF) from None
    return b"".join(chunks)


class CloseUnreadBodies:
    """Pure ASGI middleware: an answer that starts before the request's body was fully
    received carries ``Connection: close``, so the server (uvicorn honours it) closes the
    connection instead of waiting for the rest of the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        pending = headers.get("content-length", "0") not in ("", "0") or (
            "transfer-encoding" in headers
        )

        async def tracked_receive() -> Message:
            nonlocal pending
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                pending = False
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and pending:
                MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        await self.app(scope, tracked_receive, closing_send)


def _size(limit: int) -> str:
    return f"{limit // 1024 // 1024} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
