"""``GET /healthz`` and ``GET /metrics`` for load balancers and Prometheus."""

from __future__ import annotations

import logging
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.core.context import Core
from bot.core.states import State

log = logging.getLogger("credbot.web")

HealthCheck = Callable[[], None]


def health_route(checks: dict[str, HealthCheck]) -> Route:
    """200 only when every check passes; 503 names the failing parts (not why: that is
    logged, since the reason may describe internal hosts)."""

    def run_checks() -> dict[str, str]:
        results = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:
                log.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
                results[name] = "unavailable"
        return results

    async def healthz(_: Request) -> Response:
        results = await run_in_threadpool(run_checks)
        healthy = all(value == "ok" for value in results.values())
        return JSONResponse(results, status_code=200 if healthy else 503)

    return Route("/healthz", healthz, methods=["GET"])


def metrics_route(core: Core) -> Route:
    """Prometheus text format: contractors per state (``revoking`` > 0 for long is worth an
    alert), read from the database at scrape time."""
    registry = CollectorRegistry()
    contractors = Gauge(
        "credbot_contractors", "Contractors per lifecycle state", ["state"], registry=registry
    )

    def collect() -> bytes:
        counts = core.store.count_by_state()
        for state in State:
            contractors.labels(state=state.value).set(counts.get(state, 0))
        return generate_latest(registry)

    async def metrics(_: Request) -> Response:
        return Response(await run_in_threadpool(collect), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])
