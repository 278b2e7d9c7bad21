"""Signed requests only: Slack's v0 signature, a 5-minute window, and no replays.

Bolt's own ``RequestVerification`` logs the whole request body when a signature is wrong; the
body of a slash command can name people, so credbot turns it off and runs this middleware in
its place (Bolt's ``before_authorize`` slot, right after the SSL check and before anything
else). A failure is logged with the reason and the client's headers that matter, never the
body.

Replays: a valid (timestamp, signature) pair is remembered (as a SHA-256 digest) until the
request's own 5-minute window has passed; the same pair again is refused. The memory is
``SeenRequests``, in the database in production, so a request replayed to another replica is
refused as well. Slack's own retries of an event carry ``X-Slack-Retry-Num`` and a fresh
signature, so they are not replays. When that memory cannot be reached the request is refused
with 503 (Slack retries events): a guard that cannot remember must not let requests through.

``SlackSignature`` is the stateless part (signature and window) on raw bytes: the HTTP door
(``bot.web.slack_endpoint``) runs it before Bolt parses anything, since Bolt parses the body
when it builds its request, before any middleware runs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

log = logging.getLogger("credbot.slack.verification")

WINDOW_S = 60 * 5


class SlackSignature:
    """Slack's v0 signature over the raw body and the 5-minute window; remembers nothing.

    The HMAC is computed here over the bytes as they came: ``slack_sdk``'s verifier decodes
    the body as UTF-8 first, which raises on a body that is not.
    """

    def __init__(self, signing_secret: str, *, now: Callable[[], float] = time.time) -> None:
        self._key = signing_secret.encode()
        self._now = now

    def problem(self, body: bytes | str, timestamp: str, signature: str) -> str | None:
        """Why the request is not Slack's (safe to log: no body, no secret), or ``None``."""
        if not signature or not timestamp:
            return "missing signature headers"
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return "malformed timestamp"
        if abs(self._now() - int(timestamp)) > WINDOW_S:
            return "timestamp outside the 5-minute window"
        raw = body.encode() if isinstance(body, str) else body
        expected = hmac.new(self._key, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
        # bytes: compare_digest refuses str with non-ASCII characters (a header may have them)
        if not hmac.compare_digest(f"v0={expected.hexdigest()}".encode(), signature.encode()):
            return "bad signature"
        return None


def log_refusal(problem: str, timestamp: str, body_size: int) -> None:
    """The one log line for a refused Slack request: the reason, never the body."""
    log.warning(
        "refused a Slack request: %s (timestamp %r, %d body bytes; body not logged)",
        problem,
        timestamp[:20],
        body_size,
    )


class SeenRequests(Protocol):
    """Signed requests already accepted, shared by every replica (``SqlSeenRequests``)."""

    def first_sight(self, digest: str, *, expires_at: datetime, now: datetime) -> bool:
        """Remember ``digest`` until ``expires_at``; ``True`` the first time, ``False`` while
        it is remembered. Raises when the memory cannot be reached."""
        ...


class SignedRequests(Middleware):
    """Refuse (401) any request that is unsigned, wrongly signed, stale or replayed; 503 when
    replays cannot be checked."""

    def __init__(
        self, signing_secret: str, *, seen: SeenRequests, now: Callable[[], float] = time.time
    ) -> None:
        self._signature = SlackSignature(signing_secret, now=now)
        self._now = now
        self._seen = seen

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse:
        """Pass a good request on; answer 401 otherwise."""
        if req.mode == "socket_mode":  # authenticated by the app-level token's websocket
            return next()
        timestamp = _header(req, "x-slack-request-timestamp")
        signature = _header(req, "x-slack-signature")
        problem = self._signature.problem(req.raw_body, timestamp, signature)
        try:
            problem = problem or self._replayed(timestamp, signature)
        except Exception as exc:  # the replay memory (the database) did not answer
            log.error("refused a Slack request: replays cannot be checked (%s)", type(exc).__name__)
            return BoltResponse(status=503, body={"error": "try again later"})
        if problem is not None:
            log_refusal(problem, timestamp, len(req.raw_body))
            return BoltResponse(status=401, body={"error": "invalid request"})
        return next()

    def _replayed(self, timestamp: str, signature: str) -> str | None:
        """Remember the pair until its timestamp leaves the window (not for 5 minutes from
        now: a timestamp ahead of our clock stays acceptable for longer)."""
        digest = hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()
        first = self._seen.first_sight(
            digest,
            expires_at=datetime.fromtimestamp(int(timestamp) + WINDOW_S, UTC),
            now=datetime.fromtimestamp(self._now(), UTC),
        )
        return None if first else "replayed request"


def _header(req: BoltRequest, name: str) -> str:
    values: Any = req.headers.get(name) or [""]
    return str(values[0])
