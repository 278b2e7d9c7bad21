"""``/livez``, ``/readyz``, ``/healthz``, ``/metrics`` and the security headers of the ASGI
app ``credbot serve`` runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from bot.core import issuing
from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.interfaces import VaultBackend
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade
from bot.storage.store import SqlStore
from bot.web.app import build_web_app
from tests.support.core import APPROVER, approved_contractor, make_core
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer


def client_for(core: Core, *, https: bool = False) -> TestClient:
    base = "https://credbot.test" if https else "http://credbot.test"
    return TestClient(build_web_app(core=core, https=https), base_url=base)


def test_healthz_is_200_when_database_and_vault_answer(core: Core) -> None:
    response = client_for(core).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "vault": "ok"}


def test_healthz_is_503_when_vault_is_sealed(
    throwaway_openbao: OpenBaoServer,
    outage_core: Core,
) -> None:
    core = outage_core
    throwaway_openbao.seal()
    response = client_for(core).get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "vault": "unavailable"}


def core_on(
    url: str, vault: VaultBackend, clock: FrozenClock, notifier: RecordingNotifier
) -> Iterator[Core]:
    engine = make_engine(url)
    yield make_core(SqlStore(engine=engine), vault, clock, notifier)
    engine.dispose()


@pytest.fixture
def unmigrated_core(
    empty_database_url: str,
    vault_accounts: VaultBackend,
    clock: FrozenClock,
    notifier: RecordingNotifier,
) -> Iterator[Core]:
    """A core on a database nobody ran `credbot db upgrade` on."""
    yield from core_on(empty_database_url, vault_accounts, clock, notifier)


@pytest.mark.both_databases  # schema checks per backend
def test_a_never_migrated_database_is_not_ready_and_metrics_say_so(
    unmigrated_core: Core,
) -> None:
    client = client_for(unmigrated_core)
    assert client.get("/livez").status_code == 200
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (503, {"database": "not migrated"})
    health = client.get("/healthz")
    assert (health.status_code, health.json()) == (503, {"database": "not migrated", "vault": "ok"})
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "credbot_database_ready 0.0" in metrics.text
    assert "credbot_vault_up 1.0" in metrics.text
    assert "credbot_contractors{" not in metrics.text


@pytest.mark.both_databases  # schema checks per backend
def test_a_database_behind_this_version_is_not_ready(
    empty_database_url: str,
    vault_accounts: VaultBackend,
    clock: FrozenClock,
    notifier: RecordingNotifier,
) -> None:
    upgrade(empty_database_url, "0005")
    for core in core_on(empty_database_url, vault_accounts, clock, notifier):
        ready = client_for(core).get("/readyz")
        assert (ready.status_code, ready.json()) == (503, {"database": "schema outdated"})


def test_with_vault_sealed_the_replica_stays_ready_and_metrics_raise_the_alarm(
    throwaway_openbao: OpenBaoServer, outage_core: Core
) -> None:
    throwaway_openbao.seal()
    client = client_for(outage_core)
    assert client.get("/readyz").json() == {"database": "ok"}
    assert client.get("/readyz").status_code == 200
    assert "credbot_vault_up 0.0" in client.get("/metrics").text
    assert "credbot_database_ready 1.0" in client.get("/metrics").text


def test_livez_and_readyz_answer_when_all_is_well(core: Core) -> None:
    client = client_for(core)
    assert client.get("/livez").json() == {"process": "ok"}
    assert client.get("/readyz").json() == {"database": "ok"}


def test_metrics_count_contractors_per_state(core: Core) -> None:
    issuing.issue(core, approved_contractor(core).id, actor=APPROVER)
    approved_contractor(core)
    text = client_for(core).get("/metrics").text
    assert 'credbot_contractors{state="issued"} 1.0' in text
    assert 'credbot_contractors{state="approved"} 1.0' in text
    assert 'credbot_contractors{state="revoked"} 0.0' in text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/healthz", 200), ("GET", "/nowhere", 404), ("POST", "/healthz", 405)],
)
def test_security_headers_on_every_response(
    core: Core, method: str, path: str, status: int
) -> None:
    response = client_for(core).request(method, path)
    assert response.status_code == status
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = response.headers["content-security-policy"]
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        assert directive in csp
    assert "strict-transport-security" not in response.headers


def test_hsts_only_over_https(core: Core) -> None:
    response = client_for(core, https=True).get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")
