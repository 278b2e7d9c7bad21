"""Signed requests only: Slack's v0 signature, a 5-minute window, and no replays.

The HTTP door (``bot.web.slack_endpoint``) runs both checks before Bolt sees the request: Bolt
parses the body when it builds its request, before any middleware runs, and its own
``RequestVerification`` logs the whole body when a signature is wrong (the body of a slash
command can name people), so it is off. A failure is logged with the reason and the client's
headers that matter, never the body.

``SlackSignature`` is the stateless part (signature and window) on raw bytes.

``ReplayGuard``: a valid (timestamp, signature) pair is remembered (as a SHA-256 digest) until
the request's own 5-minute window has passed; the same pair again is refused. The memory is
``SeenRequests``, in the database in production, so a request replayed to another replica is
refused as well. Slack's own retries of an event carry ``X-Slack-Retry-Num`` and a fresh
signature, so they are not replays. When that memory cannot be reached the request is refused
with 503 (Slack retries events): a guard that cannot remember must not let requests through.
Its answer is a future, so the door waits for the database without holding a thread.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Protocol

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


def log_unchecked(error: BaseException) -> None:
    """The one log line for a Slack request refused because replays cannot be checked."""
    log.error("refused a Slack request: replays cannot be checked (%s)", type(error).__name__)


class SeenRequests(Protocol):
    """Signed requests already accepted, shared by every replica (``SqlSeenRequests``)."""

    def first_sight(self, digest: str, *, expires_at: datetime, now: datetime) -> Future[bool]:
        """Remember ``digest`` until ``expires_at``. The future answers ``True`` the first time,
        ``False`` while it is remembered, and raises when the memory cannot be reached."""
        ...


class ReplayGuard:
    """The replay half of the check: a signed (timestamp, signature) pair is accepted once."""

    def __init__(self, seen: SeenRequests, *, now: Callable[[], float] = time.time) -> None:
        self._seen = seen
        self._now = now

    def warm_up(self) -> None:
        """Remember one random digest that has already expired (the next purge forgets it),
        without waiting: the memory's writer, its connection and its statement are then
        ready before the first request, which otherwise pays for them in its ack. A memory
        that does not answer is the first request's to report."""
        moment = datetime.fromtimestamp(self._now(), UTC)
        self._seen.first_sight(secrets.token_hex(32), expires_at=moment, now=moment)

    def first_sight(self, timestamp: str, signature: str) -> Future[bool]:
        """Whether this pair is seen for the first time; only for a pair ``SlackSignature``
        accepted. It is remembered until its timestamp leaves the window (not for 5 minutes
        from now: a timestamp ahead of our clock stays acceptable for longer)."""
        digest = hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()
        return self._seen.first_sight(
            digest,
            expires_at=datetime.fromtimestamp(int(timestamp) + WINDOW_S, UTC),
            now=datetime.fromtimestamp(self._now(), UTC),
        )
