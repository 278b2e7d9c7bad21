"""``POST /slack/events``: check Slack's request at the door, then hand it to Bolt, off the
event loop.

Bolt parses the body as soon as it builds its request, before its own middleware checks the
signature, and its Starlette adapter reads the whole body first. So the door reads at most
``MAX_BODY`` bytes (``bot.web.bodies``: 413 beyond, 408 when too slow), checks the signature
on those raw bytes (401, nothing parsed), and only a signed body that is UTF-8 and parses the
way Bolt parses it into an object reaches Bolt (400 otherwise, never 500). Bolt then checks the
signature again and refuses replays (``bot.slack.verification``).

Bolt's adapter also calls the synchronous ``App.dispatch`` on the event loop, which would make
every request wait for the one before it. Here dispatch runs in a worker thread; Bolt answers as
soon as a listener calls ``ack()`` and lets the listener continue after.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.request.internals import parse_body
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.slack.verification import SlackSignature, log_refusal
from bot.web.bodies import DEFAULT_READ_TIMEOUT_S, BodyRefused, read_body

PATH = "/slack/events"
MAX_BODY = 1024 * 1024
"""1 MiB. Slack documents no size limit for the requests it sends; its documented Block Kit
limits (100 blocks in a modal or App Home, 3,000 characters per text, 40,000 per message) keep
any payload credbot's surfaces receive far below this, and credbot's own cards and forms make
them a few KiB. Bolt for JavaScript caps bodies at 4 MB by default."""


class UnreadableBody(Exception):
    """A signed body Bolt could not use: not UTF-8, not the JSON or form Slack sends, or not
    an object."""


def slack_route(
    app: App,
    *,
    signing_secret: str,
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
    now: Callable[[], float] = time.time,
) -> Route:
    """The route Slack's request URLs point at (commands, interactivity and events)."""
    signature = SlackSignature(signing_secret, now=now)

    async def events(request: Request) -> Response:
        try:
            body = await read_body(request, limit=MAX_BODY, timeout_s=read_timeout_s)
        except BodyRefused as refused:
            return JSONResponse({"error": refused.reason}, status_code=refused.status)
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        problem = signature.problem(body, timestamp, request.headers.get("x-slack-signature", ""))
        if problem is not None:
            log_refusal(problem, timestamp, len(body))
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            bolt_request = _bolt_request(request, body)
        except UnreadableBody:
            return JSONResponse({"error": "unreadable request body"}, status_code=400)
        return to_starlette_response(await run_in_threadpool(app.dispatch, bolt_request))

    return Route(PATH, events, methods=["POST"])


def _bolt_request(request: Request, body: bytes) -> BoltRequest:
    """Bolt's request for ``body``. Raises ``UnreadableBody`` instead of what Bolt would raise
    while building it (a ``UnicodeDecodeError``, a ``JSONDecodeError``, a ``RecursionError``,
    or an ``AttributeError`` for JSON that is not an object): the body is parsed here first,
    with Bolt's own function and content type, to find out."""
    content_type = request.headers.get("content-type", "").split(";")[0] or None
    try:
        parsed = parse_body(body.decode("utf-8"), content_type)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise UnreadableBody from None
    if not isinstance(parsed, dict):
        raise UnreadableBody
    return to_bolt_request(request, body)
