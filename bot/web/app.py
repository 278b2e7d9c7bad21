"""The one ASGI app ``credbot serve`` runs.

Routes: ``POST /slack/events`` (when a Bolt app is given), the enrollment pages and
``POST /kyc/webhook`` (when given), ``GET /livez``, ``GET /readyz``, ``GET /healthz``,
``GET /metrics`` (see ``bot.web.operations``). Every response carries the security headers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from slack_bolt import App
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from bot.core.context import Core
from bot.web.headers import SecurityHeaders
from bot.web.operations import health_route, live_route, metrics_route
from bot.web.slack_endpoint import slack_route


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
    slack_app: App | None = None,
    routes: Sequence[BaseRoute] = (),
    background: Sequence[Background] = (),
) -> Starlette:
    """Assemble the app; ``https`` switches HSTS on (from ``CREDBOT_PUBLIC_URL``); ``routes``
    are the enrollment pages and the KYC webhook; ``background`` jobs (the periodic sweep)
    start and stop with the server."""
    database, vault = core.store.check_health, core.vault.check_health
    served: list[BaseRoute] = [
        live_route(),
        health_route("/readyz", {"database": database}),
        health_route("/healthz", {"database": database, "vault": vault}),
        metrics_route(core.store, vault),
        *routes,
    ]
    if slack_app is not None:
        served.append(slack_route(slack_app))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for job in background:
            job.start()
        try:
            yield
        finally:
            for job in background:
                await run_in_threadpool(job.stop)

    return Starlette(
        routes=served,
        middleware=[Middleware(SecurityHeaders, https=https)],
        lifespan=lifespan,
    )
