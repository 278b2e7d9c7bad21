"""The one ASGI app ``credbot serve`` runs.

Routes: ``POST /slack/events`` (when a Bolt app is given), the enrollment pages (when given),
``GET /healthz``, ``GET /metrics``. Every response carries the security headers.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_bolt import App
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from bot.core.context import Core
from bot.web.headers import SecurityHeaders
from bot.web.operations import health_route, metrics_route
from bot.web.slack_endpoint import slack_route


def build_web_app(
    *,
    core: Core,
    https: bool,
    slack_app: App | None = None,
    pages: Sequence[BaseRoute] = (),
) -> Starlette:
    """Assemble the app; ``https`` switches HSTS on (from ``CREDBOT_PUBLIC_URL``)."""
    routes: list[BaseRoute] = [
        health_route({"database": core.store.check_health, "vault": core.vault.check_health}),
        metrics_route(core),
        *pages,
    ]
    if slack_app is not None:
        routes.append(slack_route(slack_app))
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders, https=https)])
