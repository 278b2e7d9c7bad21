"""Reading the small bodies the page posts: JSON (``fetch``) or an HTML form, size-capped.

Anything unreadable is a ``BadInput`` (400, 408, 413 or 415) before a core function runs, so no
malformed input reaches the domain and none can raise past the door.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import Request

from bot.web.bodies import BodyRefused, read_body
from bot.web.enrollment import messages
from bot.web.enrollment.problems import BadInput, Problem, bad_request

MAX_BODY_BYTES = 2048
"""A link secret, a code and JSON punctuation fit many times over."""

MAX_FIELD_CHARS = 256
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Posted:
    """The fields of a request and whether it came as JSON (then the answer is JSON too)."""

    fields: dict[str, str]
    as_json: bool

    def get(self, name: str) -> str:
        """The field's value; raise ``BadInput`` (400) when it is missing."""
        value = self.fields.get(name)
        if value is None:
            raise bad_request(f"{messages.ENROLL_BAD_FORM} (missing: {name})")
        return value


def wants_json(request: Request) -> bool:
    """Whether the client sent JSON, or asks for it (then errors answer in JSON)."""
    return _media_type(request) == JSON or JSON in request.headers.get("accept", "")


async def read_posted(request: Request, *, read_timeout_s: float) -> Posted:
    """Parse the body as JSON or as a urlencoded form, into string fields.

    Raises ``BadInput``: 413 over ``MAX_BODY_BYTES``, 408 when the body has not arrived
    ``read_timeout_s`` after the request, 415 for any other media type, 400 for syntax errors,
    non-string or oversized values, repeated fields, or text that is not UTF-8.
    """
    media_type = _media_type(request)
    if media_type not in (JSON, FORM):
        raise BadInput(Problem(415, "unsupported", messages.ENROLL_UNSUPPORTED))
    body = await _read_capped(request, read_timeout_s)
    fields = _parse_json(body) if media_type == JSON else _parse_form(body)
    for value in fields.values():
        if len(value) > MAX_FIELD_CHARS or not _clean(value):
            raise bad_request()
    return Posted(fields=fields, as_json=media_type == JSON)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _read_capped(request: Request, read_timeout_s: float) -> bytes:
    try:
        return await read_body(request, limit=MAX_BODY_BYTES, timeout_s=read_timeout_s)
    except BodyRefused as refused:
        problem = _BODY_PROBLEMS.get(refused.status)
        raise (BadInput(problem) if problem else bad_request()) from None


_BODY_PROBLEMS = {
    413: Problem(413, "too_large", messages.ENROLL_TOO_LARGE),
    408: Problem(408, "too_slow", messages.ENROLL_TOO_SLOW, retry=True),
}


def _parse_json(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise bad_request() from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise bad_request()
    return data


def _parse_form(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            errors="strict",
            max_num_fields=8,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request() from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise bad_request()
    return fields


def _clean(value: str) -> bool:
    """Printable text that encodes as UTF-8 (no lone surrogates, no control characters)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return value.isprintable()
