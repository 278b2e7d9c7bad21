"""A local stand-in of Slack's Web API for the demo and the tests: it answers like Slack and
records every call.

It is an HTTP server on a free loopback port. Point ``slack_sdk.WebClient(base_url=...)`` (the
``SLACK_API_URL`` setting) at ``standin.api_url``; ``standin.response_url(...)`` gives
``response_url`` values that land here too. It knows the methods credbot calls: ``auth.test``,
``users.info``, ``users.list`` (paged), ``usergroups.users.list``, ``conversations.open``,
``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, ``views.open``,
``views.publish``, and ``apps.connections.open`` for Socket Mode. Anything else answers
``unknown_method``, as Slack does.

``apps.connections.open`` is the one method that checks its token, as Slack does: it wants
``Authorization: Bearer <app_token>`` (``not_authed`` without one, ``not_allowed_token_type``
for anything but an ``xapp-`` token, ``invalid_auth`` for another app token), and answers
with the URL ``socket_urls()`` issues (a Socket Mode stand-in's; ``internal_error`` when
none is attached). The token is never recorded.

Errors are injected per method with ``fail``: Slack's ``{"ok": false, "error": ...}`` with
HTTP 200, or ``ratelimited`` with HTTP 429 and ``Retry-After``, for the next N calls.
Never use it as a real Slack: it checks no token and keeps everything in memory.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

STANDIN_BOT_TOKEN = "stand-in-bot-token"  # noqa: S105 - a placeholder, not a credential
"""What the bot sends as its token to the stand-in, which accepts any (never a real token)."""
STANDIN_APP_TOKEN = "xapp-stand-in-app-token"  # noqa: S105 - a placeholder, not a credential
"""The app-level token ``apps.connections.open`` accepts by default."""
BOT_USER = "UCREDBOT0"
POLL_INTERVAL_S = 0.05
"""How often the server loop looks for ``stop()``: ``stop`` waits up to this long (the standard
library's default, 0.5 s, made every test that used a stand-in half a second longer; Slack's
bolt-python polls its mock server every 0.05 s too)."""
TEAM = "T0CREDBOT"


@dataclass(frozen=True)
class Call:
    """One recorded request: the API method (or ``response_url``), its arguments, when."""

    method: str
    args: dict[str, Any]
    at: float
    reply: dict[str, Any] = field(default_factory=dict)
    """What the stand-in answered (e.g. the ``ts`` of a posted message)."""


@dataclass
class _Fault:
    error: str
    times: int
    status: int = 200
    retry_after: int | None = None
    match: dict[str, Any] = field(default_factory=dict)


@dataclass
class SlackStandIn:
    """The stand-in server. ``start()`` it, read ``calls``, ``stop()`` it."""

    host: str = "127.0.0.1"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    delay_s: float = 0.0
    """Added to every answer (benchmarks: a Slack that is not instant)."""
    app_token: str = field(default=STANDIN_APP_TOKEN, repr=False)
    socket_urls: Callable[[], str] | None = None
    """Issues a fresh WebSocket URL for each ``apps.connections.open``."""
    _calls: list[Call] = field(default_factory=list)
    _faults: dict[str, list[_Fault]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _changed: threading.Condition = field(init=False)
    _server: _Server | None = None
    _ts: Iterator[int] = field(default_factory=lambda: iter(range(1, 10**9)))

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    # --- life cycle

    def start(self) -> Self:
        """Listen on a free port in a daemon thread."""
        self._server = _Server((self.host, 0), _Handler)
        self._server.owner = self
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL_S},
            name="slack-standin",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """``http://host:port``."""
        assert self._server is not None, "start() the stand-in first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The Web API base URL (``SLACK_API_URL``)."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "") -> str:
        """A fresh ``response_url`` that records what is posted to it."""
        return f"{self.url}/respond/{name or uuid.uuid4().hex}"

    # --- the directory

    def add_user(
        self,
        user_id: str,
        *,
        name: str = "",
        email: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        email_confirmed: bool = True,
        guest: str | None = None,
    ) -> None:
        """Make ``users.info`` know this user; ``guest`` is ``multi_channel`` or
        ``single_channel`` (Slack's ``is_restricted`` / ``is_ultra_restricted``)."""
        name = name or user_id.lower()
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM,
            "name": name,
            "real_name": name,
            "deleted": deleted,
            "is_bot": is_bot,
            "is_restricted": guest is not None,
            "is_ultra_restricted": guest == "single_channel",
            "is_email_confirmed": email_confirmed,
            "profile": {
                "real_name": name,
                "display_name": name,
                **({"email": email} if email else {}),
            },
        }

    # --- faults and records

    def fail(
        self,
        method: str,
        error: str,
        *,
        times: int = 1,
        status: int = 200,
        retry_after: int | None = None,
        when: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (whose arguments contain ``when``)
        with ``error``; ``ratelimited`` defaults to HTTP 429 with ``Retry-After: 1``."""
        if error == "ratelimited":
            status = 429 if status == 200 else status
            retry_after = 1 if retry_after is None else retry_after
        with self._lock:
            self._faults.setdefault(method, []).append(
                _Fault(
                    error=error,
                    times=times,
                    status=status,
                    retry_after=retry_after,
                    match=dict(when or {}),
                )
            )

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, oldest first, optionally of one method (``respond`` for
        ``response_url`` posts)."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(
        self, predicate: Callable[[list[Call]], bool], *, timeout: float = 10.0
    ) -> list[Call]:
        """Block until ``predicate(calls)`` holds; return the calls (``TimeoutError`` else)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self._calls)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"stand-in: condition not met; calls: {self._summary()}")
                self._changed.wait(left)
            return list(self._calls)

    def wait_for_call(
        self, method: str, *, count: int = 1, timeout: float = 10.0, **match: Any
    ) -> Call:
        """Wait until ``count`` calls of ``method`` whose args contain ``match`` exist; return
        the last of them."""

        def matching(calls: list[Call]) -> list[Call]:
            return [
                c
                for c in calls
                if c.method == method and all(c.args.get(k) == v for k, v in match.items())
            ]

        self.wait_for(lambda calls: len(matching(calls)) >= count, timeout=timeout)
        return matching(self.calls())[-1]

    def messages_to(self, channel: str) -> list[dict[str, Any]]:
        """Arguments of every ``chat.postMessage`` to ``channel`` (DMs: ``dm_channel(user)``)."""
        return [c.args for c in self.calls("chat.postMessage") if c.args.get("channel") == channel]

    @staticmethod
    def dm_channel(user_id: str) -> str:
        """The DM channel ID ``conversations.open`` gives for ``user_id``."""
        return f"D{user_id[1:]}"

    def _summary(self) -> str:
        return ", ".join(c.method for c in self._calls[-30:])

    def _record(self, method: str, args: dict[str, Any], reply: dict[str, Any]) -> None:
        with self._changed:
            self._calls.append(Call(method=method, args=args, at=time.time(), reply=reply))
            self._changed.notify_all()

    def _fault(self, method: str, args: dict[str, Any]) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method) or []
            for fault in queue:
                if all(args.get(k) == v for k, v in fault.match.items()):
                    fault.times -= 1
                    if fault.times <= 0:
                        queue.remove(fault)
                    return fault
            return None

    # --- answers

    def _users_page(self, args: dict[str, Any]) -> dict[str, Any]:
        """``users.list`` as Slack pages it: ``limit`` members from the ``cursor`` on."""
        limit = int(args.get("limit") or 200)
        start = int(str(args.get("cursor") or "0") or "0")
        members = list(self.users.values())
        page = members[start : start + limit]
        following = str(start + limit) if start + limit < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": following}}

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:  # noqa: PLR0911
        """What Slack would answer to ``method`` with ``args`` (no fault)."""
        match method:
            case "auth.test":
                return {
                    "ok": True,
                    "url": "https://standin.slack.local/",
                    "team": "credbot demo",
                    "user": "credbot",
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "bot_id": "BCREDBOT0",
                }
            case "users.info":
                user = self.users.get(str(args.get("user", "")))
                return {"ok": True, "user": user} if user else _error("user_not_found")
            case "users.list":
                return self._users_page(args)
            case "usergroups.users.list":
                group = self.groups.get(str(args.get("usergroup", "")))
                return (
                    {"ok": True, "users": group} if group is not None else _error("no_such_subteam")
                )
            case "conversations.open":
                users = str(args.get("users", ""))
                if users not in self.users:
                    return _error("user_not_found")
                return {"ok": True, "channel": {"id": self.dm_channel(users)}}
            case "chat.postMessage" | "chat.update":
                channel = str(args.get("channel", ""))
                ts = str(args.get("ts") or f"{int(time.time())}.{next(self._ts):06d}")
                return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
            case "views.open" | "views.publish" | "views.update":
                return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", **_view(args)}}
        return _error("unknown_method")

    def connections_open(self, authorization: str) -> dict[str, Any]:
        """``apps.connections.open`` for the ``Authorization`` header sent."""
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            return _error("not_authed")
        if not token.startswith("xapp-"):
            return _error("not_allowed_token_type")
        if not hmac.compare_digest(token, self.app_token):
            return _error("invalid_auth")
        if self.socket_urls is None:
            return _error("internal_error")
        return {"ok": True, "url": self.socket_urls()}


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def _view(args: dict[str, Any]) -> dict[str, Any]:
    view = args.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            view = {}
    return view if isinstance(view, dict) else {}


class _Server(ThreadingHTTPServer):
    owner: SlackStandIn


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    @property
    def owner(self) -> SlackStandIn:
        return self.server.owner

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the calls are recorded instead."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        args: dict[str, Any] = dict(parse_qsl(parts.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if raw:
            if "json" in (self.headers.get("Content-Type") or ""):
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                args.update(body if isinstance(body, dict) else {})
            else:
                args.update(parse_qsl(raw.decode("utf-8", "replace")))
        if self.owner.delay_s:
            time.sleep(self.owner.delay_s)
        if parts.path.startswith("/respond/"):
            self.owner._record("respond", {**args, "url": parts.path}, {"ok": True})
            self._send(200, {"ok": True})
            return
        method = parts.path.removeprefix("/api/").strip("/")
        fault = self.owner._fault(method, args)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            self.owner._record(method, args, _error(fault.error))
            self._send(fault.status, _error(fault.error), headers)
            return
        if method == "apps.connections.open":
            reply = self.owner.connections_open(self.headers.get("Authorization") or "")
        else:
            reply = self.owner.answer(method, args)
        self.owner._record(method, args, reply)
        self._send(200, reply)

    def _send(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(HTTPStatus(status))
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
