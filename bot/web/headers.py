"""Security headers on every response, errors included.

Pages that run a script set their own ``Content-Security-Policy`` with a per-response nonce;
everything else gets the strictest policy, which allows nothing at all.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; "
    "form-action 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    """Pure ASGI middleware (so it also covers streaming and error responses)."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = "no-store"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers.setdefault("Content-Security-Policy", STRICT_CSP)
                if self.https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
