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
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.signature import Clock, SignatureVerifier

log = logging.getLogger("credbot.slack.verification")

WINDOW_S = 60 * 5


class _Clock(Clock):
    """``slack_sdk.signature.Clock`` over an injectable time source."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class SeenRequests(Protocol):
    """Signed requests already accepted, shared by every replica (``SqlSeenRequests``)."""

    def first_sight(self, digest: str, *, expires_at: datetime, now: datetime) -> bool:
        """Remember ``digest`` until ``expires_at``; ``True`` the first time, ``False`` while
        it is remembered. Raises when the memory cannot be reached."""
        ...


class SignedRequests(Middleware):
    """Refuse (401) any request that is unsigned, wrongly signed, stale or replayed."""

    def __init__(
        self, signing_secret: str, *, seen: SeenRequests, now: Callable[[], float] = time.time
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(now))
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
        try:
            problem = self._problem(req.raw_body, timestamp, signature)
        except Exception as exc:  # the replay memory (the database) did not answer
            log.error("refused a Slack request: replays cannot be checked (%s)", type(exc).__name__)
            return BoltResponse(status=503, body={"error": "try again later"})
        if problem is not None:
            log.warning(
                "refused a Slack request: %s (timestamp %r, %d body bytes; body not logged)",
                problem,
                timestamp[:20],
                len(req.raw_body),
            )
            return BoltResponse(status=401, body={"error": "invalid request"})
        return next()

    def _problem(self, body: str, timestamp: str, signature: str) -> str | None:
        if not signature or not timestamp:
            return "missing signature headers"
        if not timestamp.isdigit():
            return "malformed timestamp"
        if abs(self._now() - int(timestamp)) > WINDOW_S:
            return "timestamp outside the 5-minute window"
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return "bad signature"
        return self._replayed(timestamp, signature)

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
