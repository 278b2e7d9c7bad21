"""Property: whatever is posted, as link token, code, body or media type, the answer is a 4xx
with the security headers and a message, never a 5xx and never a traceback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import enrolment, links
from bot.core.context import Core
from tests.support.links import stored_link
from tests.web.conftest import Issued

PATHS = ["/enroll/status", "/enroll/reveal", "/enroll/confirm"]
RUNS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# One database is enough for input handling; the concurrency and TOTP tests cover both.
sqlite_only = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)

link_tokens = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\A[A-Za-z0-9_-]{40,46}\Z"),
    st.sampled_from(["", " ", "#", "%00", "\x00" * 43, "A" * 43, "é" * 43, "../" * 15]),
)
codes = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"\A[A-Z2-9]{3}-?[A-Z2-9]{3}\Z"),
    st.from_regex(r"\A[0-9]{5,7}\Z"),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


def assert_refused(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "Traceback" not in response.text
    if response.headers["content-type"].startswith("application/json"):
        assert response.json()["message"]
    else:
        assert 'class="problem"' in response.text


@sqlite_only
@RUNS
@given(path=st.sampled_from(PATHS), secret=link_tokens, code=codes, as_json=st.booleans())
def test_malformed_fields_get_a_4xx(
    client: httpx.Client, path: str, secret: str, code: str, as_json: bool
) -> None:
    body: dict[str, Any] = (
        {"json": {"secret": secret, "code": code}}
        if as_json
        else {"data": {"secret": secret, "code": code}}
    )
    assert_refused(client.post(path, **body))


@sqlite_only
@RUNS
@given(path=st.sampled_from(PATHS), value=json_values)
def test_any_json_document_gets_a_4xx(client: httpx.Client, path: str, value: object) -> None:
    assert_refused(
        client.post(path, content=json.dumps(value), headers={"content-type": "application/json"})
    )


@sqlite_only
@RUNS
@given(
    path=st.sampled_from(PATHS),
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "multipart/form-data; boundary=x",
            "text/plain",
            "",
        ]
    ),
)
def test_any_bytes_get_a_4xx(
    client: httpx.Client, path: str, body: bytes, content_type: str
) -> None:
    assert_refused(client.post(path, content=body, headers={"content-type": content_type}))


@sqlite_only
@RUNS
@given(code=codes, as_json=st.booleans(), path=st.sampled_from(PATHS))
def test_a_real_link_with_junk_codes_gets_a_4xx(
    client: httpx.Client, real_link: str, code: str, as_json: bool, path: str
) -> None:
    body: dict[str, Any] = (
        {"json": {"secret": real_link, "code": code}}
        if as_json
        else {"data": {"secret": real_link, "code": code}}
    )
    response = client.post(path, **body)
    if response.status_code == 200:  # /enroll/status of a live link
        assert path == "/enroll/status"
        return
    assert_refused(response)


@pytest.fixture
def real_link(issued: Issued) -> str:
    _, secret = issued()
    return secret


@sqlite_only
def test_oversized_bodies_are_refused_with_413(client: httpx.Client, real_link: str) -> None:
    big = {"secret": real_link, "code": "x" * 5000}
    assert client.post("/enroll/reveal", json=big).status_code == 413
    chunked = client.post(
        "/enroll/reveal",
        content=iter([b'{"secret": "', b"a" * 3000, b'"}']),
        headers={"content-type": "application/json"},
    )
    assert chunked.status_code == 413
    assert_refused(chunked)


@sqlite_only
def test_junk_never_burns_the_link(client: httpx.Client, core: Core, real_link: str) -> None:
    for code in ["", "?", "0000000", "OOO-III", "<script>", "ABC-DE"]:
        client.post("/enroll/reveal", json={"secret": real_link, "code": code})
        client.post("/enroll/reveal", data={"secret": real_link, "code": code})
    link = stored_link(core.store, links.link_hash(real_link))
    assert link is not None and link.failed_confirmations == 0
    assert enrolment.link_status(core, real_link) == "ready"
