"""Requests exactly as Slack sends them, signed: for the demo, the tests and the benchmark.

- slash commands: ``application/x-www-form-urlencoded`` fields (``command``, ``text``,
  ``user_id``, ``response_url``, ``trigger_id``, ...);
- interactivity: a form with one field, ``payload``, holding JSON (``block_actions``,
  ``view_submission``);
- events: JSON (``event_callback``, ``url_verification``).

Each request carries ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``:
``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}`` under the signing secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

TEAM = "T0CREDBOT"
COMMAND = "/contractor"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: bytes, *, content_type: str, timestamp: int | None = None
) -> dict[str, str]:
    """Headers Slack would send with ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(secret, stamp, body),
    }


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def command_fields(
    text: str, *, user_id: str, response_url: str, channel_id: str = "C0GENERAL"
) -> dict[str, str]:
    """A ``/contractor`` slash command's fields (a form over HTTP, the ``payload`` of a
    ``slash_commands`` envelope in Socket Mode)."""
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM,
        "team_domain": "credbot-demo",
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": COMMAND,
        "text": text,
        "api_app_id": "A0CREDBOT",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex[:12]}",
    }


def command_body(
    text: str, *, user_id: str, response_url: str, channel_id: str = "C0GENERAL"
) -> bytes:
    """A ``/contractor`` slash command as Slack posts it."""
    fields = command_fields(text, user_id=user_id, response_url=response_url, channel_id=channel_id)
    return urlencode(fields).encode()


def interactivity_body(payload: dict[str, Any]) -> bytes:
    """An interactivity request: ``payload=<json>``."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def block_action(
    *,
    user_id: str,
    action_id: str,
    value: str,
    channel: str,
    message_ts: str,
    response_url: str,
) -> dict[str, Any]:
    """A button click on a message the app posted."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "credbot-demo"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM},
        "api_app_id": "A0CREDBOT",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex[:12]}",
        "channel": {"id": channel, "name": "approvals"},
        "message": {"type": "message", "ts": message_ts, "text": ""},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "decision",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission(
    *,
    user_id: str,
    callback_id: str,
    values: dict[str, dict[str, Any]],
    private_metadata: str = "",
) -> dict[str, Any]:
    """A modal submission; ``values`` maps block ID to the element's state (action ID
    ``value``), e.g. ``{"country": {"type": "plain_text_input", "value": "DE"}}``;
    ``private_metadata`` is what the app put in the view it opened."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "credbot-demo"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM},
        "api_app_id": "A0CREDBOT",
        "token": "deprecated-verification-token",
        "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex[:12]}",
        "view": {
            "id": f"V{uuid.uuid4().hex[:10].upper()}",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": {block: {"value": state} for block, state in values.items()}},
        },
        "response_urls": [],
    }


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API ``event_callback`` (a new ``event_id`` unless given: Slack's retries
    repeat it)."""
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0CREDBOT",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
    }


def event_body(event: dict[str, Any]) -> bytes:
    """An Events API ``event_callback`` as Slack posts it."""
    return json.dumps(event_callback(event)).encode()


@dataclass(frozen=True)
class Reply:
    """What the app answered."""

    status: int
    body: bytes
    elapsed_s: float

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")


@dataclass
class SignedSlack:
    """Sends signed requests to an app's ``/slack/events`` the way Slack does (stdlib HTTP,
    so the demo needs nothing extra)."""

    base_url: str
    signing_secret: str = field(repr=False)
    timeout_s: float = 30.0

    @property
    def endpoint(self) -> str:
        """The request URL configured in the Slack app."""
        return self.base_url.rstrip("/") + "/slack/events"

    def post(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """POST ``body`` signed (``headers`` override, e.g. to break the signature)."""
        signed = signed_headers(
            self.signing_secret, body, content_type=content_type, timestamp=timestamp
        )
        return self.post_raw(body, headers={**signed, **(headers or {})})

    def post_raw(self, body: bytes, *, headers: dict[str, str]) -> Reply:
        """POST exactly these bytes and headers (replays, unsigned requests)."""
        request = urllib.request.Request(  # noqa: S310 - the URL is the app under test
            self.endpoint, data=body, headers=headers, method="POST"
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:  # noqa: S310
                status, data = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        return Reply(status=status, body=data, elapsed_s=time.perf_counter() - started)

    def command(self, text: str, *, user_id: str, response_url: str) -> Reply:
        """``/contractor <text>`` typed by ``user_id``."""
        body = command_body(text, user_id=user_id, response_url=response_url)
        return self.post(body, content_type=FORM)

    def interact(self, payload: dict[str, Any]) -> Reply:
        """A click or modal submission."""
        return self.post(interactivity_body(payload), content_type=FORM)

    def event(self, event: dict[str, Any]) -> Reply:
        """An event."""
        return self.post(event_body(event), content_type=JSON)
