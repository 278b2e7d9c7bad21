"""Probes and metrics for load balancers, orchestrators and Prometheus.

- ``GET /livez``: the process answers (restart it when it does not); checks nothing else.
- ``GET /readyz``: the database answers and its schema is usable: send traffic here. Vault is
  deliberately not part of it: with Vault down, Slack's commands are still acknowledged and
  answered with a clear message, and revocations wait as ``revoking`` for the sweep;
  dropping every replica from the load balancer would only turn that into Slack errors.
- ``GET /healthz``: database and Vault, for people and monitors (``DESIGN.md``).
- ``GET /metrics``: always 200 while the process runs; ``credbot_database_ready`` and
  ``credbot_vault_up`` say what ``/healthz`` would, so Vault's health is an alert, not an
  outage; how long the bot's Vault token and AppRole secret ID have left; and the process's
  counters (``bot.metrics``: enrolments, sweeps, Slack and Vault errors, the build).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.core.health import NotReady
from bot.core.states import State
from bot.core.stores import Store
from bot.metrics import PROCESS_METRICS
from vault.errors import VaultError
from vault.models import CredentialLifetimes

log = logging.getLogger("credbot.web")

HealthCheck = Callable[[], None]
Credentials = Callable[[], CredentialLifetimes]


def status_of(name: str, check: HealthCheck) -> str:
    """``ok``, a ``NotReady`` part's own short status, or ``unavailable``. The reason is
    logged, not returned: it may describe internal hosts."""
    try:
        check()
    except NotReady as exc:
        log.warning("health check %s: %s", name, exc)
        return exc.status
    except Exception as exc:
        log.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
        return "unavailable"
    return "ok"


def live_route() -> Route:
    """``GET /livez``: 200 as long as the event loop answers."""

    async def livez(_: Request) -> Response:
        return JSONResponse({"process": "ok"})

    return Route("/livez", livez, methods=["GET"])


def health_route(path: str, checks: Mapping[str, HealthCheck]) -> Route:
    """200 only when every check passes; 503 names each part's status."""

    def run_checks() -> dict[str, str]:
        return {name: status_of(name, check) for name, check in checks.items()}

    async def probe(_: Request) -> Response:
        results = await run_in_threadpool(run_checks)
        healthy = all(value == "ok" for value in results.values())
        return JSONResponse(results, status_code=200 if healthy else 503)

    return Route(path, probe, methods=["GET"])


class _Gauges(Collector):
    """Read at scrape time: readiness of each part, contractors per state (``revoking``
    above 0 for long is worth an alert) when the database can say, and the bot's credentials'
    lives when Vault can."""

    def __init__(self, store: Store, vault: HealthCheck, credentials: Credentials | None) -> None:
        self._store = store
        self._vault = vault
        self._credentials = credentials

    def describe(self) -> Iterator[Metric]:
        """The families without reading anything (registration must not touch the database)."""
        yield from self._families(ready=False, vault_up=False, counts=None)
        yield from _credential_families(None)

    def collect(self) -> Iterator[Metric]:
        ready = status_of("database", self._store.check_health) == "ok"
        counts = self._store.count_by_state() if ready else None
        vault_up = status_of("vault", self._vault) == "ok"
        yield from self._families(ready=ready, vault_up=vault_up, counts=counts)
        yield from _credential_families(self._lifetimes() if vault_up else None)

    def _lifetimes(self) -> CredentialLifetimes | None:
        if self._credentials is None:
            return None
        try:
            return self._credentials()
        except VaultError as exc:
            # An installation whose bot policy predates the secret-ID lookup is refused until
            # `credbot vault init` runs again: the series are missing, the rest still answers.
            log.debug("cannot read the bot's credential lifetimes: %s", exc)
            return None

    @staticmethod
    def _families(
        *, ready: bool, vault_up: bool, counts: dict[State, int] | None
    ) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "credbot_database_ready",
            "1 when the database answers and its schema is current (as /readyz)",
            value=int(ready),
        )
        yield GaugeMetricFamily(
            "credbot_vault_up", "1 when Vault answers and is unsealed", value=int(vault_up)
        )
        contractors = GaugeMetricFamily(
            "credbot_contractors", "Contractors per lifecycle state", labels=["state"]
        )
        if counts is not None:
            for state in State:
                contractors.add_metric([state.value], counts.get(state, 0))
        yield contractors


def _credential_families(lifetimes: CredentialLifetimes | None) -> Iterator[Metric]:
    """Seconds left of the bot's token and secret ID (``+Inf``: never expires); no sample
    when unknown (Vault down, or no secret ID: a ``VAULT_TOKEN`` bot)."""
    token = GaugeMetricFamily(
        "credbot_vault_token_ttl_seconds",
        "Seconds left of the Vault token the bot holds (it logs in again before the end)",
    )
    secret_id = GaugeMetricFamily(
        "credbot_vault_secret_id_expires_seconds",
        "Seconds until the bot's AppRole secret ID stops logging in: rotate it before",
    )
    if lifetimes is not None:
        ttl = lifetimes.token_ttl
        token.add_metric([], ttl.total_seconds() if ttl is not None else math.inf)
        if lifetimes.approle:
            expires = lifetimes.secret_id_expires_at
            left = (expires - datetime.now(UTC)).total_seconds() if expires else math.inf
            secret_id.add_metric([], left)
    yield token
    yield secret_id


def metrics_route(
    store: Store, vault: HealthCheck, credentials: Credentials | None = None
) -> Route:
    """``GET /metrics`` in Prometheus' text format; 200 even when a part is down (the gauges
    say so), so Prometheus never loses the very metrics that explain an outage.
    ``credentials`` reads how long the bot's Vault credentials have left."""
    registry = CollectorRegistry()
    registry.register(_Gauges(store, vault, credentials))
    for collector in PROCESS_METRICS:
        registry.register(collector)

    async def metrics(_: Request) -> Response:
        return Response(
            await run_in_threadpool(generate_latest, registry), media_type=CONTENT_TYPE_LATEST
        )

    return Route("/metrics", metrics, methods=["GET"])
