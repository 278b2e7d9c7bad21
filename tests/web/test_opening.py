"""Opening the link consumes nothing, whoever opens it and however: people, Slack's unfurler,
link scanners, HEAD and Range requests, and the page's own status check."""

from __future__ import annotations

import httpx
import pytest

from bot.core import enrolment, links
from bot.core.context import Core
from tests.support.links import stored_link
from tests.support.notifier import RecordingNotifier
from tests.web.conftest import Issued

UNFURLER = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"


@pytest.mark.parametrize("user_agent", [UNFURLER, None, "Mozilla/5.0 (X11; Linux x86_64)"])
def test_get_head_and_range_leave_the_link_valid(
    client: httpx.Client,
    core: Core,
    issued: Issued,
    notifier: RecordingNotifier,
    user_agent: str | None,
) -> None:
    _, secret = issued()
    if user_agent is None:
        del client.headers["user-agent"]
    else:
        client.headers["user-agent"] = user_agent
    # What a scanner can send: the path alone (the fragment never leaves a browser), with or
    # without the secret pasted into the query, whole or in ranges.
    requests = [
        ("GET", "/enroll", {}),
        ("HEAD", "/enroll", {}),
        ("GET", "/enroll", {"Range": "bytes=0-99"}),
        ("GET", "/enroll", {"Range": "bytes=100-"}),
        ("HEAD", "/enroll", {"Range": "bytes=0-0"}),
        ("GET", f"/enroll?secret={secret}", {}),
        ("GET", f"/enroll/{secret}", {}),
    ]
    for method, path, headers in requests:
        response = client.request(method, path, headers=headers)
        assert response.status_code in (200, 404), (method, path, response.status_code)
    for _ in range(3):
        assert client.post("/enroll/status", json={"secret": secret}).json() == {"status": "ready"}

    link = stored_link(core.store, links.link_hash(secret))
    assert link is not None
    assert link.claimed_at is None and link.failed_confirmations == 0
    assert enrolment.reveal(core, secret, notifier.code_for(secret)).secrets.password


def test_the_page_is_the_same_for_everyone_and_knows_no_secret(
    client: httpx.Client, issued: Issued
) -> None:
    _, secret = issued()
    page = client.get("/enroll", headers={"user-agent": UNFURLER})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert secret not in page.text
    head = client.head("/enroll")
    assert head.status_code == 200 and head.content == b""
