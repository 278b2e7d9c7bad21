"""Security headers on every response (pages, JSON, refusals, 404, 405), the page's CSP
nonce, and what the page must not contain (og: tags, third-party assets, secrets)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.web.conftest import Issued

sqlite_only = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)


def every_kind_of_response(client: httpx.Client, secret: str) -> Iterator[httpx.Response]:
    yield client.get("/enroll")  # 200 page
    yield client.head("/enroll")  # 200, no body
    yield client.get("/enroll", headers={"Range": "bytes=0-10"})
    yield client.post("/enroll/status", json={"secret": secret})  # 200 JSON
    yield client.post("/enroll/status", json={"secret": "nope"})  # 404 JSON
    yield client.post("/enroll/reveal", data={"secret": "nope", "code": "ABC-DEF"})  # 404 page
    yield client.post("/enroll/reveal", data={"secret": secret, "code": "AAA-AAA"})  # 403 page
    yield client.post("/enroll/reveal", content=b"{", headers={"content-type": JSON})  # 400
    yield client.post("/enroll/reveal", content=b"x", headers={"content-type": "text/plain"})
    yield client.post("/enroll/reveal", json={"secret": "x" * 4000})  # 413
    yield client.post("/enroll")  # 405
    yield client.get("/enroll/reveal")  # 405
    yield client.put("/enroll/confirm")  # 405
    yield client.get("/nowhere")  # 404
    yield client.get("/enroll/")  # 404 or redirect
    yield client.get("/metrics")
    yield client.get("/healthz")


JSON = "application/json"


def assert_security_headers(response: httpx.Response, *, https: bool) -> None:
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    headers = response.headers
    assert headers["cache-control"] == "no-store", where
    assert headers["referrer-policy"] == "no-referrer", where
    assert headers["x-content-type-options"] == "nosniff", where
    csp = headers["content-security-policy"]
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        assert directive in csp, (where, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert ("strict-transport-security" in headers) is https, where


@sqlite_only
def test_headers_on_every_response_without_hsts_over_http(
    client: httpx.Client, issued: Issued
) -> None:
    _, secret = issued()
    statuses = set()
    for response in every_kind_of_response(client, secret):
        assert_security_headers(response, https=False)
        statuses.add(response.status_code)
    assert {200, 400, 403, 404, 405, 413, 415} <= statuses


@sqlite_only
def test_hsts_when_the_public_url_is_https(https_server: str, issued: Issued) -> None:
    _, secret = issued()
    with httpx.Client(base_url=https_server) as client:
        for response in every_kind_of_response(client, secret):
            assert_security_headers(response, https=True)
            assert "max-age=" in response.headers["strict-transport-security"]


@sqlite_only
def test_page_script_and_style_run_only_by_nonce(client: httpx.Client) -> None:
    first, second = client.get("/enroll"), client.get("/enroll")
    nonces = []
    for page in (first, second):
        csp = page.headers["content-security-policy"]
        match = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{20,})'", csp)
        assert match, csp
        nonce = match[1]
        nonces.append(nonce)
        assert f"style-src 'nonce-{nonce}'" in csp
        assert "form-action 'self'" in csp and "default-src 'none'" in csp
        assert "require-trusted-types-for 'script'" in csp
        tags = re.findall(r"<(script|style)\b([^>]*)>", page.text)
        assert tags and all(f'nonce="{nonce}"' in attributes for _, attributes in tags)
    assert nonces[0] != nonces[1]


@sqlite_only
def test_page_has_no_og_tags_no_third_party_assets_and_is_not_indexed(
    client: httpx.Client,
) -> None:
    page = client.get("/enroll")
    text = page.text
    assert "og:" not in text and "twitter:" not in text
    assert '<meta name="robots" content="noindex, nofollow">' in text
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert re.search(r'<label for="code">', text) and 'id="code"' in text
