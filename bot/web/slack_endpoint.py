"""``POST /slack/events``: hand Slack's request to Bolt, off the event loop.

Bolt's own Starlette adapter calls the synchronous ``App.dispatch`` on the event loop, which
would make every request wait for the one before it. Here dispatch runs in a worker thread;
Bolt answers as soon as a listener calls ``ack()`` and lets the listener continue after.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def slack_route(app: App) -> Route:
    """The route Slack's request URLs point at (commands, interactivity and events)."""

    async def events(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    return Route("/slack/events", events, methods=["POST"])
