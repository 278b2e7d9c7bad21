"""Fifty browsers reveal one link at the same moment: exactly one sees the secrets."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from bot.core.context import Core
from bot.core.states import State
from tests.support.notifier import RecordingNotifier
from tests.web.conftest import Issued

pytestmark = pytest.mark.both_databases  # a race: each database decides it

CLIENTS = 50


async def reveal_all(base_url: str, body: dict[str, str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        return await asyncio.gather(
            *(client.post("/enroll/reveal", json=body) for _ in range(CLIENTS))
        )


def test_fifty_concurrent_reveals_one_success(
    server: str, core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    contractor, secret = issued()
    responses = asyncio.run(
        reveal_all(server, {"secret": secret, "code": notifier.code_for(secret)})
    )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 410: CLIENTS - 1}, statuses
    winner = next(r for r in responses if r.status_code == 200).json()
    assert winner["username"] == contractor.username and winner["password"]
    losers = {r.json()["error"] for r in responses if r.status_code == 410}
    assert losers == {"link_used"}
    assert all(winner["password"] not in r.text for r in responses if r.status_code != 200)
    assert notifier.alerts == []
    assert core.store.get_contractor(contractor.id).state is State.ISSUED
    reveals = [e for e in core.store.audit_events() if e.entry.action == "link_revealed"]
    assert len(reveals) == 1
