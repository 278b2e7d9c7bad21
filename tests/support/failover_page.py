"""The contractor's part of the failover scenario: the enrollment page's own requests
(``POST /enroll/reveal`` and ``/enroll/confirm`` as JSON) to whichever replica the load
balancer picks, with codes from the seed as an authenticator app makes them
(``tests.support.contractor.fresh_code``).

A reveal whose replica died may have claimed the link and taken the unwrapped secrets with
it: the retry then finds the link used, and only a new link helps (``Flow.reissue``). A
confirm is simply sent again with a new code: nothing is counted when Vault did not answer.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx

from bot.core.states import State
from tests.support.contractor import fresh_code
from tests.support.failover_world import Replica
from vault.models import AccountSecrets

if TYPE_CHECKING:
    from tests.support.failover_flow import Flow

RETRY_S = 0.5
HTTP_TIMEOUT_S = 30.0
AGAIN = frozenset({403, 500, 503})
"""Confirm answers worth another code: refused, broken, or Vault unavailable."""


def enrol(flow: Flow) -> AccountSecrets:
    """Reveal the newest link (a new one after a lost reveal), then prove the first login;
    return what the contractor saved."""
    while True:
        secret, code = flow.links()[-1]
        revealed = _reveal(flow, secret, code)
        if revealed is not None:
            break
    _confirm(flow, secret, revealed)
    return AccountSecrets(
        username=str(revealed["username"]),
        password=str(revealed["password"]),
        totp_uri=str(revealed["totp_uri"]),
        totp_secret=str(revealed["totp_secret"]),
    )


def _reveal(flow: Flow, secret: str, code: str) -> dict[str, Any] | None:
    """The secrets and proof token, or None once a new link was asked for."""
    while True:
        started = time.monotonic()
        replica, answer = _post(flow, "reveal", {"secret": secret, "code": code})
        if answer.status_code == 200:
            flow.world.succeeded("reveal", started)
            return dict(answer.json())
        what = f"{replica.name}: {answer.status_code} {_kind(answer)}"
        if answer.status_code != 503:
            flow.world.note(flow.name, "reveal", what, "reissue")
            flow.reissue(f"reveal answered {what}")
            return None
        flow.world.note(flow.name, "reveal", what, "again")
        time.sleep(RETRY_S)


def _confirm(flow: Flow, secret: str, revealed: dict[str, Any]) -> None:
    while True:
        body = {
            "secret": secret,
            "proof": revealed["proof"],
            "password": revealed["password"],
            "code": fresh_code(str(revealed["totp_secret"])),
        }
        started = time.monotonic()
        replica, answer = _post(flow, "confirm", body)
        record = flow.world.record(flow.slack_user)
        if answer.status_code == 200 or (record is not None and record.state is State.ACTIVE):
            flow.world.succeeded("confirm", started)  # a lost answer to a confirm that went through
            return
        assert answer.status_code in AGAIN, f"{flow.name} confirm: {answer.text}"
        what = f"{replica.name}: {answer.status_code} {_kind(answer)}"
        flow.world.note(flow.name, "confirm", what, "again with a new code")
        time.sleep(RETRY_S)


def _post(flow: Flow, step: str, body: dict[str, Any]) -> tuple[Replica, httpx.Response]:
    def send(replica: Replica) -> httpx.Response:
        url = f"{replica.served.url}/enroll/{step}"
        return httpx.post(url, json=body, timeout=HTTP_TIMEOUT_S)

    return flow.world.send(flow.name, step, send)


def _kind(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", ""))
    except ValueError:
        return answer.text[:60]
