"""The one ASGI app ``credbot serve`` runs.

Routes: the ones given (the enrollment pages, ``POST /slack/events`` and ``POST /kyc/webhook``
when served), and the operations routes ``GET /livez``, ``GET /readyz``, ``GET /healthz`` and
``GET /metrics`` (see ``bot.web.operations``). Every response carries the security headers, and
closes the connection when it leaves a request body unread (``bot.web.bodies.CloseUnreadBodies``).

With an ``ops_port``, the operations routes are served only to connections that came in on
that port, and nothing else is: the public listener answers 404 for them, so a load balancer
can expose only the enrollment pages and the Slack and webhook routes (point probes at the ops
port). The port a connection came in on is the server's own (the ASGI ``server`` of the
scope), not anything the client sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send

from bot.core.context import Core
from bot.web.bodies import CloseUnreadBodies
from bot.web.headers import SecurityHeaders
from bot.web.operations import Credentials, health_route, live_route, metrics_route


class Background(Protocol):
    """A job that runs beside the server (started and stopped with it)."""

    def start(self) -> None:
        """Start; must return quickly."""
        ...

    def stop(self) -> None:
        """Stop and wait for the job to finish."""
        ...


def build_web_app(
    *,
    core: Core,
    https: bool,
    routes: Sequence[BaseRoute] = (),
    background: Sequence[Background] = (),
    ops_port: int | None = None,
    credentials: Credentials | None = None,
) -> ASGIApp:
    """Assemble the app; ``https`` switches HSTS on (from ``CREDBOT_PUBLIC_URL``); ``routes``
    are the enrollment pages, the Slack endpoint and the KYC webhook; ``background`` jobs
    (the periodic sweep) start and stop with the server; ``ops_port`` moves the operations
    routes to the listener on that port; ``credentials`` (the bot's Vault credentials'
    lives) feeds ``/metrics``."""
    database, vault = core.store.check_health, core.vault.check_health
    operations = [
        live_route(),
        health_route("/readyz", {"database": database}),
        health_route("/healthz", {"database": database, "vault": vault}),
        metrics_route(core.store, vault, credentials),
    ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for job in background:
            job.start()
        try:
            yield
        finally:
            for job in background:
                await run_in_threadpool(job.stop)

    if ops_port is None:
        return _starlette([*operations, *routes], https=https, lifespan=lifespan)
    return ByListener(
        public=_starlette(routes, https=https, lifespan=lifespan),
        ops=_starlette(operations, https=https),
        ops_port=ops_port,
    )


class ByListener:
    """Pure ASGI: each request goes to the app of the listener it came in on; the lifespan
    (the background jobs) goes to the public app."""

    def __init__(self, *, public: ASGIApp, ops: ASGIApp, ops_port: int) -> None:
        self.public = public
        self.ops = ops
        self.ops_port = ops_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") if scope["type"] != "lifespan" else None
        app = self.ops if server is not None and server[1] == self.ops_port else self.public
        await app(scope, receive, send)


def _starlette(
    routes: Sequence[BaseRoute], *, https: bool, lifespan: Lifespan[Starlette] | None = None
) -> Starlette:
    return Starlette(
        routes=list(routes),
        middleware=[Middleware(SecurityHeaders, https=https), Middleware(CloseUnreadBodies)],
        lifespan=lifespan,
    )
