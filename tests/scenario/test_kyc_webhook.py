"""KYC through a verification service: ``POST /kyc/webhook`` on the running app, signed as the
README documents. A good result moves the request on; every bad delivery is refused with its
status and changes nothing."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.core.interfaces import Leases, VaultBackend
from bot.core.states import State
from bot.core.stores import Store
from bot.dev.slack_standin import SlackStandIn
from bot.slack.verification import SeenRequests
from bot.web.kyc_webhook import sign
from tests.support.logs import capture_debug
from tests.support.slack import APPROVAL_CHANNEL, CONTRACTOR, MANAGER, SlackWorld, make_world

WEBHOOK_SECRET = "3f9c1e7a5b2d4f608e1a3c5b7d9f0a2c4e6b8d0f"
CHECKS = "requester_role,slack_account,email_domain,work_country,uniqueness,kyc_webhook"


@pytest.fixture
def world(
    store: Store,
    vault_accounts: VaultBackend,
    standin: SlackStandIn,
    seen_requests: SeenRequests,
    leases: Leases,
) -> Iterator[SlackWorld]:
    yield from make_world(
        store,
        vault_accounts,
        standin,
        seen_requests,
        leases=leases,
        overrides={
            "CREDBOT_IDENTITY_CHECKS": CHECKS,
            "CREDBOT_KYC_WEBHOOK_SECRET": WEBHOOK_SECRET,
        },
    )


def _deliver(
    world: SlackWorld,
    payload: dict[str, Any] | bytes,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signed = {
        "Content-Type": "application/json",
        "X-Credbot-Timestamp": ts,
        "X-Credbot-Signature": sign(secret, timestamp=ts, body=body),
    }
    return httpx.post(
        f"{world.server.url}/kyc/webhook", content=body, headers=headers or signed, timeout=10
    )


def _reference(world: SlackWorld) -> str:
    reply = world.onboard()
    found = re.search(r"reference (kyc_[0-9a-f]{32})", reply)
    assert found is not None, reply
    return found.group(1)


def _raw(payload: dict[str, Any], member: str) -> bytes:
    """``payload`` as JSON with ``member`` (raw JSON text, which ``json.dumps`` cannot
    produce: a key twice, ``NaN``) written in at the end."""
    return (json.dumps(payload)[:-1] + ", " + member + "}").encode()


def _result(reference: str, **changes: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "result": "verified",
        "service": "acme-id",
        "document_type": "passport",
        "service_reference": "chk_81723",
        **changes,
    }


def test_a_verified_result_sends_the_request_to_approval(world: SlackWorld) -> None:
    reference = _reference(world)
    assert world.contractor().state is State.VERIFYING  # type: ignore[union-attr]
    assert world.standin.calls("chat.postMessage") == []  # no card: approvers cannot act yet
    answer = _deliver(world, _result(reference, extra={"face_image": "base64…"}))
    assert (answer.status_code, answer.json()) == (200, {"ok": True, "reference": reference})
    card = str(world.card().args["blocks"])
    assert "kyc_webhook: *passed*: Passport verified by acme-id" in card
    told = world.standin.wait_for_call("chat.postMessage", channel=MANAGER)
    assert "passed the identity checks and went to the approvers" in told.args["text"]
    [verification] = world.core.store.verifications(world.contractor().id)  # type: ignore[union-attr]
    assert (verification.status, verification.verified_by, verification.external_reference) == (
        "passed",
        "acme-id",
        "chk_81723",
    )
    assert "face_image" not in json.dumps(
        [e.entry.details for e in world.core.store.audit_events()]
    )


def test_a_rejected_result_rejects_the_request_with_the_services_reason(
    world: SlackWorld,
) -> None:
    reference = _reference(world)
    answer = _deliver(world, _result(reference, result="rejected", reason="document expired"))
    assert answer.status_code == 200
    world.wait_state("rejected")
    told = world.standin.wait_for_call("chat.postMessage", channel=MANAGER)
    assert (
        "kyc_webhook: *FAILED*: acme-id could not verify the identity: document expired"
        in (told.args["text"])
    )
    card = world.standin.wait_for_call("chat.postMessage", channel=APPROVAL_CHANNEL)
    assert "document expired" in str(card.args["blocks"])
    audited = [e.entry for e in world.core.store.audit_events()]
    assert audited[-1].action == "checks_failed"
    assert "document expired" in audited[-1].reason


@pytest.mark.parametrize(
    ("tamper", "status", "error"),
    [
        ("no signature", 401, "invalid signature"),
        ("wrong secret", 401, "invalid signature"),
        ("old timestamp", 401, "invalid signature"),
        ("future timestamp", 401, "invalid signature"),
        ("unknown reference", 404, "unknown reference"),
        ("not json", 400, "body is not JSON"),
        ("5000-digit number", 400, "body: a number longer than 32 characters"),
        ("duplicate key", 400, "result: given twice"),
        ("duplicate extra key", 400, "a field: given twice"),
        ("NaN", 400, "body is not JSON (NaN is not a JSON number)"),
        ("not utf-8", 400, "body is not JSON"),
        ("deeply nested", 400, "body is not JSON"),
        ("bad result", 400, "result: must be verified or rejected"),
        ("bad document", 400, "document_type: one of"),
        ("long reason", 400, "reason: at most 200 printable characters"),
        ("huge body", 413, "body larger than 16 KiB"),
    ],
)
def test_a_bad_delivery_is_refused_and_changes_nothing(
    world: SlackWorld, tamper: str, status: int, error: str
) -> None:
    reference = _reference(world)
    before = world.audit_count()
    payload: dict[str, Any] | bytes = _result(reference)
    options: dict[str, Any] = {}
    match tamper:
        case "no signature":
            options["headers"] = {"Content-Type": "application/json"}
        case "wrong secret":
            options["secret"] = "0" * 40
        case "old timestamp":
            options["timestamp"] = int(time.time()) - 330
        case "future timestamp":
            options["timestamp"] = int(time.time()) + 330
        case "unknown reference":
            payload = _result("kyc_" + "0" * 32)
        case "not json":
            payload = b"reference=kyc_x&result=verified"
        case "5000-digit number":
            payload = _raw(_result(reference), '"attempt": ' + "9" * 5000)
        case "duplicate key":  # last-wins JSON would read "verified"
            payload = _raw(_result(reference, result="rejected"), '"result": "verified"')
        case "duplicate extra key":
            payload = _raw(_result(reference), '"x": {"note": 1, "note": 2}')
        case "NaN":
            payload = _raw(_result(reference), '"score": NaN')
        case "not utf-8":
            payload = json.dumps(_result(reference, reason="caf\u00e9")).encode("utf-16")
        case "deeply nested":
            payload = _raw(_result(reference), '"x": ' + "[" * 2000 + "]" * 2000)
        case "bad result":
            payload = _result(reference, result="approved")
        case "bad document":
            payload = _result(reference, document_type="library_card")
        case "long reason":
            payload = _result(reference, reason="x" * 201)
        case "huge body":
            payload = _result(reference, padding="x" * 17_000)
    answer = _deliver(world, payload, **options)
    assert answer.status_code == status
    assert error in answer.json()["error"]
    time.sleep(0.2)
    assert world.audit_count() == before
    assert world.contractor().state is State.VERIFYING  # type: ignore[union-attr]
    [verification] = world.core.store.verifications(world.contractor().id)  # type: ignore[union-attr]
    assert verification.status == "pending"


def test_a_replayed_delivery_and_a_second_result_are_refused(world: SlackWorld) -> None:
    reference = _reference(world)
    body = json.dumps(_result(reference)).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Credbot-Timestamp": ts,
        "X-Credbot-Signature": sign(WEBHOOK_SECRET, timestamp=ts, body=body),
    }
    url = f"{world.server.url}/kyc/webhook"
    assert httpx.post(url, content=body, headers=headers).status_code == 200
    world.card()
    before = world.audit_count()
    replay = httpx.post(url, content=body, headers=headers)
    assert (replay.status_code, replay.json()["error"]) == (
        409,
        "this delivery was already received",
    )
    again = _deliver(world, _result(reference, result="rejected"))
    assert again.status_code == 409
    assert again.json()["error"] == "already decided (awaiting_approval)"
    assert world.audit_count() == before
    assert world.contractor().state is State.AWAITING_APPROVAL  # type: ignore[union-attr]


def test_a_result_for_a_withdrawn_request_is_refused(world: SlackWorld) -> None:
    reference = _reference(world)
    world.command_reply(f"offboard <@{CONTRACTOR}> changed our mind")
    world.wait_state("rejected")
    before = world.audit_count()
    answer = _deliver(world, _result(reference))
    assert (answer.status_code, answer.json()["error"]) == (409, "already decided (rejected)")
    assert world.audit_count() == before


def test_the_secret_and_refused_bodies_are_never_logged(
    world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    reference = _reference(world)
    canary = "canary-reason-7f3a"
    assert _deliver(world, _result(reference, reason=canary), secret="1" * 40).status_code == 401
    assert _deliver(world, _result(reference, result="rejected")).status_code == 200
    world.wait_state("rejected")
    assert WEBHOOK_SECRET not in caplog.text
    assert "refused a KYC delivery: bad signature" in caplog.text
    assert caplog.text.count(canary) == 0
