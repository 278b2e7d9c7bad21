"""``POST /kyc/webhook``: an identity-verification service reports its result.

Signed like Slack's requests, so any service (or a ten-line relay in front of one) can sign:

- ``X-Credbot-Timestamp``: Unix seconds when the delivery was signed;
- ``X-Credbot-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed with
  ``CREDBOT_KYC_WEBHOOK_SECRET``, of ``v1:{timestamp}:{raw body}``.

Refused, changing nothing: a body over 16 KiB (413, from its declared length before it is
read) or not received in time (408), a missing or wrong signature or a timestamp more than 5
minutes away (401, checked on the raw bytes before any parsing), a body that is not the
documented JSON (400: not UTF-8, not JSON, a key twice, a number too long, ``NaN``), an unknown
reference (404), the same signed delivery twice, or a result for a verification or request
already decided (409). The body is never logged; fields other than the documented ones are
ignored and never stored. The README documents the payload.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.core.context import Core
from bot.core.errors import DeliveryReplayed, VerificationDecided, VerificationNotFound
from bot.core.identity import DOCUMENT_TYPES, NOTE, ServiceResult, record_service_result
from bot.core.models import Contractor
from bot.web.bodies import DEFAULT_READ_TIMEOUT_S, BodyRefused, read_body

log = logging.getLogger("credbot.web.kyc")

PATH = "/kyc/webhook"
WINDOW_S = 5 * 60
MAX_BODY = 16 * 1024
REFERENCE = re.compile(r"^kyc_[0-9a-f]{32}$")
SERVICE = re.compile(r"^[A-Za-z0-9 ._-]{1,64}$")
MAX_REASON = 200
MAX_NUMBER_CHARS = 32
"""No field is a number; one longer than this is refused rather than converted (Python
refuses integers over 4,300 digits with a ``ValueError``)."""
RESULTS = ("verified", "rejected")
FIELDS = ("reference", "result", "service", "document_type", "service_reference", "reason")


class BadDelivery(Exception):
    """The delivery is malformed; the message says which field and why (safe to return)."""


def sign(secret: str, *, timestamp: str, body: bytes) -> str:
    """The ``X-Credbot-Signature`` value for ``body`` signed at ``timestamp``."""
    message = b"v1:" + timestamp.encode() + b":" + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def kyc_webhook_route(
    core: Core,
    *,
    secret: str,
    on_result: Callable[[str], None],
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
    now: Callable[[], float] = time.time,
) -> Route:
    """The route; ``on_result(contractor_id)`` runs the request's checks again (it must
    return quickly: the Slack door queues the work)."""

    async def webhook(request: Request) -> JSONResponse:
        try:
            body = await read_body(request, limit=MAX_BODY, timeout_s=read_timeout_s)
            decided, delivery = _authentic(request, body, secret=secret, now=now())
            contractor = await run_in_threadpool(_record, core, decided, delivery)
        except (BodyRefused, Refused) as refused:  # both say only what is safe to return
            return JSONResponse({"ok": False, "error": str(refused)}, status_code=refused.status)
        log.info("KYC result (verified: %s) for %s", decided.verified, contractor.id)
        on_result(contractor.id)
        return JSONResponse({"ok": True, "reference": decided.reference})

    return Route(PATH, webhook, methods=["POST"])


class Refused(Exception):
    """The delivery is refused with ``status``; ``error`` is safe to return to the sender."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def _authentic(
    request: Request, body: bytes, *, secret: str, now: float
) -> tuple[ServiceResult, str]:
    """The delivery's result and fingerprint, or ``Refused`` (401 or 400)."""
    timestamp = request.headers.get("x-credbot-timestamp", "")
    signature = request.headers.get("x-credbot-signature", "")
    problem = _signature_problem(secret, timestamp, signature, body, now)
    if problem is not None:
        log.warning("refused a KYC delivery: %s (%d body bytes)", problem, len(body))
        raise Refused(401, "invalid signature")
    try:
        decided = parse_delivery(body)
    except BadDelivery as exc:
        raise Refused(400, str(exc)) from None
    return decided, hashlib.sha256(signature.encode()).hexdigest()


def _record(core: Core, decided: ServiceResult, delivery: str) -> Contractor:
    """Store the result; the core's refusals as ``Refused`` (404 or 409)."""
    try:
        return record_service_result(core, decided, delivery=delivery)
    except VerificationNotFound:
        raise Refused(404, "unknown reference") from None
    except DeliveryReplayed:
        raise Refused(409, "this delivery was already received") from None
    except VerificationDecided as exc:
        raise Refused(409, f"already decided ({exc.state})") from None


def _signature_problem(
    secret: str, timestamp: str, signature: str, body: bytes, now: float
) -> str | None:
    if not timestamp or not signature:
        return "missing signature headers"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "malformed timestamp"
    if abs(now - int(timestamp)) > WINDOW_S:
        return "timestamp outside the 5-minute window"
    # bytes: compare_digest refuses str with non-ASCII characters (a header may have them)
    if not hmac.compare_digest(
        sign(secret, timestamp=timestamp, body=body).encode(), signature.encode()
    ):
        return "bad signature"
    return None


def parse_delivery(body: bytes) -> ServiceResult:
    """The documented payload as a ``ServiceResult``. Raises ``BadDelivery`` naming the first
    bad field, or what makes the body unreadable."""
    payload = _strict_json(body)
    if not isinstance(payload, dict):
        raise BadDelivery("body is not a JSON object")
    reference = _text(payload, "reference")
    if not REFERENCE.match(reference):
        raise BadDelivery("reference: not a credbot verification reference")
    outcome = _text(payload, "result")
    if outcome not in RESULTS:
        raise BadDelivery("result: must be verified or rejected")
    service = _text(payload, "service")
    if not SERVICE.match(service):
        raise BadDelivery("service: 1-64 letters, digits, spaces, . _ -")
    document_type = _text(payload, "document_type", required=False)
    if document_type and document_type not in DOCUMENT_TYPES:
        raise BadDelivery(f"document_type: one of {', '.join(DOCUMENT_TYPES)}")
    service_reference = _text(payload, "service_reference", required=False)
    if service_reference and not NOTE.match(service_reference):
        raise BadDelivery("service_reference: 1-64 letters, digits, . _ : / # -")
    reason = _text(payload, "reason", required=False)
    if len(reason) > MAX_REASON or not reason.isprintable():
        raise BadDelivery(f"reason: at most {MAX_REASON} printable characters")
    return ServiceResult(
        reference=reference,
        verified=outcome == "verified",
        service=service,
        document_type=document_type or None,
        service_reference=service_reference or None,
        reason=reason,
    )


def _strict_json(body: bytes) -> Any:
    """``body`` as UTF-8 JSON, read strictly: each key once per object (``json`` would keep
    the last, so a relay and credbot could read different results), no ``NaN`` or
    ``Infinity``, no absurdly long numbers, bounded nesting."""
    try:
        return json.loads(
            body.decode("utf-8"),
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_int=_bounded_number(int),
            parse_float=_bounded_number(float),
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise BadDelivery("body is not JSON") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for key, value in pairs:
        if key in payload:
            raise BadDelivery(f"{key if key in FIELDS else 'a field'}: given twice")
        payload[key] = value
    return payload


def _no_constant(name: str) -> Any:
    raise BadDelivery(f"body is not JSON ({name} is not a JSON number)")


def _bounded_number(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise BadDelivery(f"body: a number longer than {MAX_NUMBER_CHARS} characters")
        return convert(text)

    return parse


def _text(payload: dict[str, Any], field: str, *, required: bool = True) -> str:
    value = payload.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadDelivery(f"{field}: {'missing' if value is None else 'must be a string'}")
    return value.strip()
