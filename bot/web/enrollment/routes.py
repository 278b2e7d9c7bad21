"""The enrollment routes. Each handler reads the request, makes one core call off the event
loop, and renders; refusals are translated once, in ``problems``.

- ``GET /enroll`` (and ``HEAD``): the page. It knows no secret (that is in the fragment) and
  consumes nothing, whoever asks: people, unfurlers, scanners, ``Range`` requests.
- ``POST /enroll/status``: what the link can do now (JSON); consumes and counts nothing.
- ``POST /enroll/reveal``: ``{secret, code}`` -> ``enrolment.reveal``: the secrets, once, and
  the proof token the next step needs.
- ``POST /enroll/confirm``: ``{secret, proof, password, code}`` ->
  ``enrolment.prove_first_login``: a real login to Vault, then activation.

POSTs take JSON (the answer is JSON) or an HTML form (the answer is a page).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.config import Settings
from bot.core import enrolment
from bot.core.context import Core
from bot.core.links import ENROLL_PATH
from bot.web.enrollment import messages, rendering
from bot.web.enrollment.forms import Posted, read_posted, wants_json
from bot.web.enrollment.problems import Problem, problem_for
from bot.web.enrollment.qr import NotAnOtpauthUri, check_otpauth_uri, qr_svg

log = logging.getLogger("credbot.web.enrollment")

INTERNAL = Problem(500, "internal", messages.ENROLL_INTERNAL)
REVEALS_AT_ONCE = 4
"""Reveals worked on at the same time by one process; the others wait their turn, first come
first served. The work is mostly CPU under one GIL, so twenty at once do not finish sooner than
four at a time: they all finish late, in an order the scheduler picks, each paying for the
thread switches between them. Four keep the CPU busy while some wait on Vault or the database."""


def pages(core: Core, settings: Settings) -> list[Route]:
    """The enrollment routes for ``build_web_app(routes=...)``."""
    views = EnrollmentViews(core=core, settings=settings)
    return [
        Route(ENROLL_PATH, views.start, methods=["GET"]),
        Route(f"{ENROLL_PATH}/status", views.status, methods=["POST"]),
        Route(f"{ENROLL_PATH}/reveal", views.reveal, methods=["POST"]),
        Route(f"{ENROLL_PATH}/confirm", views.confirm, methods=["POST"]),
    ]


class EnrollmentViews:
    """The handlers, holding the core and what the page says about the link's lifetime."""

    def __init__(self, *, core: Core, settings: Settings) -> None:
        self.core = core
        self.link_ttl = rendering.describe_duration(settings.link_ttl)
        self.read_timeout_s = settings.read_timeout.total_seconds()
        self.reveal_turns = anyio.CapacityLimiter(REVEALS_AT_ONCE)

    async def start(self, _: Request) -> Response:
        """The page itself: the same bytes for everyone (but the nonce)."""
        return self._start_page()

    async def status(self, request: Request) -> Response:
        """``{"status": "ready" | "revealed"}``, or the refusal ``reveal`` would give."""

        async def work(posted: Posted) -> Response:
            status = await run_in_threadpool(enrolment.link_status, self.core, posted.get("secret"))
            return rendering.json_answer({"status": status})

        return await self._guarded(request, "status", work, lambda problem, posted: None)

    async def reveal(self, request: Request) -> Response:
        """Check the confirmation code, claim the link and show the secrets once."""

        def reveal_and_render(posted: Posted) -> Response:
            secret, code = posted.get("secret"), posted.get("code")
            revealed = enrolment.reveal(self.core, secret, code)
            log.info("enrollment link revealed for %s", revealed.secrets.username)
            return self._revealed(posted, secret, revealed)

        async def work(posted: Posted) -> Response:
            # The core call and the QR code (a few ms of CPU) in one trip off the event loop:
            # each hand-off to a worker thread and back costs CPU that a burst queues on. The
            # limiter hands turns out in the order the reveals came (a FIFO).
            return await anyio.to_thread.run_sync(
                reveal_and_render, posted, limiter=self.reveal_turns
            )

        def retry_page(problem: Problem, posted: Posted) -> Response:
            return self._start_page(problem=problem, secret=posted.get("secret"))

        return await self._guarded(request, "reveal", work, retry_page)

    async def confirm(self, request: Request) -> Response:
        """Log in once with the saved password and a code; a login Vault accepts activates
        the account."""

        async def work(posted: Posted) -> Response:
            await run_in_threadpool(
                enrolment.prove_first_login,
                self.core,
                posted.get("secret"),
                posted.get("proof"),
                posted.get("password"),
                posted.get("code"),
            )
            title, message = messages.ENROLL_DONE_TITLE, messages.ENROLL_DONE
            if posted.as_json:
                return rendering.json_answer(
                    {"status": "active", "title": title, "message": message}
                )
            return rendering.page("done.html", title=title, message=message, page_name="done")

        def retry_page(problem: Problem, posted: Posted) -> Response:
            return rendering.page(
                "confirm.html",
                status=problem.status,
                title=problem.title,
                problem=problem,
                secret=posted.get("secret"),
                proof=posted.fields.get("proof", ""),
                page_name="confirm",
            )

        return await self._guarded(request, "confirm", work, retry_page)

    # -- helpers ---------------------------------------------------------------------------------

    def _start_page(self, *, problem: Problem | None = None, secret: str = "") -> Response:
        return rendering.page(
            "start.html",
            status=problem.status if problem else 200,
            title=problem.title if problem else "Your access",
            heading="Your access to the review tool",
            problem=problem,
            secret=secret,
            link_ttl=self.link_ttl,
            page_name="start",
        )

    def _revealed(self, posted: Posted, secret: str, revealed: enrolment.Revealed) -> Response:
        """The secrets as JSON or as the page. Nothing here may fail for the secrets' sake:
        they were unwrapped once and cannot be fetched again."""
        secrets = revealed.secrets
        try:
            issuer, account = check_otpauth_uri(secrets.totp_uri)
            qr: Any = qr_svg(secrets.totp_uri, label=f"QR code for {issuer}: {account}")
            uri_ok = True
        except (NotAnOtpauthUri, ValueError) as exc:
            log.warning("no QR code for %s: %s", secrets.username, type(exc).__name__)
            issuer, account, qr, uri_ok = "credbot", secrets.username, None, False
        if posted.as_json:
            return rendering.json_answer(
                {
                    "username": secrets.username,
                    "password": secrets.password,
                    "totp_uri": secrets.totp_uri,
                    "totp_secret": secrets.totp_secret,
                    "issuer": issuer,
                    "account": account,
                    "qr_svg": str(qr) if qr is not None else None,
                    "proof": revealed.proof_token,
                }
            )
        seed = secrets.totp_secret
        return rendering.page(
            "reveal.html",
            title="Your credentials",
            secrets=secrets,
            qr=qr,
            uri_ok=uri_ok,
            issuer=issuer,
            account=account,
            seed_groups=" ".join(seed[i : i + 4] for i in range(0, len(seed), 4)),
            secret=secret,
            proof=revealed.proof_token,
            page_name="reveal",
        )

    async def _guarded(
        self,
        request: Request,
        step: str,
        work: Callable[[Posted], Awaitable[Response]],
        retry_page: Callable[[Problem, Posted], Response | None],
    ) -> Response:
        """Run ``work``; turn a refusal into a JSON answer, the retry form, or a plain page."""
        posted: Posted | None = None
        try:
            posted = await read_posted(request, read_timeout_s=self.read_timeout_s)
            return await work(posted)
        except Exception as exc:
            problem = problem_for(exc)
            if problem is None:
                log.error("enrollment %s failed: %s", step, type(exc).__name__, exc_info=True)
                problem = INTERNAL
            else:
                log.info("enrollment %s refused: %s (%d)", step, problem.kind, problem.status)
        if wants_json(request) or step == "status":
            return rendering.json_problem(problem)
        if problem.retry and posted is not None:
            page = retry_page(problem, posted)
            if page is not None:
                return page
        return rendering.problem_page(problem)
