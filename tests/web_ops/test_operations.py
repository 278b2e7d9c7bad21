"""``/healthz``, ``/metrics`` and the security headers of the ASGI app ``credbot serve`` runs."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from bot.core import issuing
from bot.core.context import Core
from bot.web.app import build_web_app
from tests.support.core import APPROVER, approved_contractor
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
