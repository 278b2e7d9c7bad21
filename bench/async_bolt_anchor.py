"""The anchor of ``bench.ack_latency``: an idiomatic async Bolt app, the best thing a team could
run instead of credbot's door.

    python -m bench.async_bolt_anchor --port P --signing-secret S --api-url URL --channel C

``AsyncApp`` with Bolt's own request verification, served by ``AsyncSlackRequestHandler`` on
Starlette and uvicorn (one worker), as bolt-python's Starlette example does. Its ``/contractor``
listener acks at once, then does the Slack side of an onboarding request the way such an app
would: ``users.info`` on the contractor named in the command and a ``chat.postMessage`` to the
approval channel. No database and no Vault: whatever credbot's door costs beyond this is
credbot's. ``GET /readyz`` answers once the app is up.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.dev.slack_standin import STANDIN_BOT_TOKEN

MENTION = re.compile(r"<@([A-Z0-9]+)")


def build(*, signing_secret: str, api_url: str, token: str, channel: str) -> Starlette:
    """The anchor app: ``POST /slack/events`` and ``GET /readyz``."""
    client = AsyncWebClient(token=token, base_url=api_url)
    app = AsyncApp(client=client, signing_secret=signing_secret)

    async def contractor(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        mention = MENTION.search(str(command.get("text", "")))
        if mention is None:
            return
        await client.users_info(user=mention.group(1))
        await client.chat_postMessage(channel=channel, text=f"Approve <@{mention.group(1)}>?")

    app.command("/contractor")(contractor)
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def ready(_: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/slack/events", events, methods=["POST"]), Route("/readyz", ready)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--signing-secret", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", default=STANDIN_BOT_TOKEN)
    parser.add_argument("--channel", default="C0APPROVALS")
    args = parser.parse_args()
    app = build(
        signing_secret=args.signing_secret,
        api_url=args.api_url,
        token=args.token,
        channel=args.channel,
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, workers=1, log_level="warning")


if __name__ == "__main__":
    main()
