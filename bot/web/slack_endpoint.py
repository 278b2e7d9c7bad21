"""``POST /slack/events``: check Slack's request at the door, then hand it to Bolt.

Bolt parses the body as soon as it builds its request, and its Starlette adapter reads the
whole body first. So the door reads at most ``MAX_BODY`` bytes (``bot.web.bodies``: 413
beyond, 408 when too slow), checks the signature on those raw bytes (401, nothing parsed),
and only a signed body that is UTF-8 and parses the way Bolt parses it into an object goes on
(400 otherwise, never 500). A replay is refused last, with 401 (503 when the replay memory does
not answer; ``bot.slack.verification``), so only a request that would reach Bolt costs a write.

The ack is what Slack times (3 s), so the door keeps the path to it short. The replay guard's
database write is awaited on the event loop (no thread waits for it). Bolt's synchronous
``App.dispatch`` runs on a few threads of the door's own (``DISPATCH_THREADS``): on the loop it
would make every request wait for the one before it, and on Starlette's pool of forty, a burst
would have forty threads fighting for the GIL. Each listener only parses, acks and hands its
work on (``bot.slack.app``), so dispatch returns with the ack.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.request.internals import parse_body
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.slack.after_ack import AfterAck
from bot.slack.verification import (
    ReplayGuard,
    SeenRequests,
    SlackSignature,
    log_refusal,
    log_unchecked,
)
from bot.web.bodies import DEFAULT_READ_TIMEOUT_S, BodyRefused, read_body

PATH = "/slack/events"
MAX_BODY = 1024 * 1024
"""1 MiB. Slack documents no size limit for the requests it sends; its documented Block Kit
limits (100 blocks in a modal or App Home, 3,000 characters per text, 40,000 per message) keep
any payload credbot's surfaces receive far below this, and credbot's own cards and forms make
them a few KiB. Bolt for JavaScript caps bodies at 4 MB by default."""
DISPATCH_THREADS = 8
"""Threads running Bolt's dispatch: its listeners are CPU work of a millisecond or so, a few
threads keep both cores busy, and a listener that waits (a view submission checking a role
with Slack) still leaves the others free."""


class UnreadableBody(Exception):
    """A signed body Bolt could not use: not UTF-8, not the JSON or form Slack sends, or not
    an object."""


def slack_route(
    app: App,
    *,
    signing_secret: str,
    seen: SeenRequests,
    after_ack: AfterAck,
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
    now: Callable[[], float] = time.time,
) -> Route:
    """The route Slack's request URLs point at (commands, interactivity and events); ``seen``
    is the replay memory the replicas share; ``after_ack``'s work waits while a signed request
    is here (``bot.slack.after_ack``): a slow or unsigned one cannot hold it up."""
    signature = SlackSignature(signing_secret, now=now)
    replays = ReplayGuard(seen, now=now)
    replays.warm_up()
    dispatch = ThreadPoolExecutor(max_workers=DISPATCH_THREADS, thread_name_prefix="credbot-slack")

    async def events(request: Request) -> Response:
        try:
            body = await read_body(request, limit=MAX_BODY, timeout_s=read_timeout_s)
        except BodyRefused as refused:
            return JSONResponse({"error": refused.reason}, status_code=refused.status)
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signed = request.headers.get("x-slack-signature", "")
        problem = signature.problem(body, timestamp, signed)
        if problem is not None:
            return _refuse(problem, timestamp, body)
        with after_ack.acking():  # a signed request: Slack is timing its ack from now on
            try:
                bolt_request = _bolt_request(request, body)
            except UnreadableBody:
                return JSONResponse({"error": "unreadable request body"}, status_code=400)
            try:
                first = await asyncio.wrap_future(replays.first_sight(timestamp, signed))
            except Exception as exc:  # the replay memory (the database) did not answer
                log_unchecked(exc)
                return JSONResponse({"error": "try again later"}, status_code=503)
            if not first:
                return _refuse("replayed request", timestamp, body)
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(dispatch, app.dispatch, bolt_request)
        return to_starlette_response(answer)

    return Route(PATH, events, methods=["POST"])


def _refuse(problem: str, timestamp: str, body: bytes) -> Response:
    log_refusal(problem, timestamp, len(body))
    return JSONResponse({"error": "invalid request"}, status_code=401)


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
