"""Pages and JSON answers of the enrollment page, with their per-response CSP nonce.

Why one nonce'd inline ``<script>`` and ``<style>`` rather than same-origin static files: every
response here is ``no-store`` anyway, so a static file would be fetched again on each visit and
buys no caching; a nonce allows exactly the script of *this* response, where ``script-src
'self'`` would allow any script-typed URL of the origin (Bolt's endpoint, a future route); and
the page stays one self-contained document with no second request that could fail or be served
stale by an intermediary. Trusted Types are required with no policy, so the script cannot use
``innerHTML`` or any other HTML sink at all: it only sets ``textContent`` and ``hidden``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse, JSONResponse, Response

from bot.web.enrollment import messages
from bot.web.enrollment.problems import Problem

_ENV = Environment(
    loader=PackageLoader("bot.web.enrollment", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATES = files("bot.web.enrollment").joinpath("templates")
_CSS = Markup(_TEMPLATES.joinpath("enroll.css").read_text(encoding="utf-8"))  # noqa: S704
_JS = Markup(_TEMPLATES.joinpath("enroll.js").read_text(encoding="utf-8"))  # noqa: S704
"""Our own files, embedded verbatim (they contain no ``</``)."""

PAGE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
TEXTS = {
    "incomplete": messages.ENROLL_LINK_INCOMPLETE,
    "incomplete-title": messages.ENROLL_TITLES["link_incomplete"],
    "revealed": messages.ENROLL_REVEALED_ALREADY,
    "copied": messages.ENROLL_COPIED,
    "copy-failed": messages.ENROLL_COPY_FAILED,
    "network": messages.ENROLL_NETWORK,
}
"""Texts the script shows, handed over as ``data-`` attributes of ``<main>``."""


def page_csp(nonce: str) -> str:
    """The page's policy: only this response's script and style, fetches and forms to the
    same origin, no framing, no plugins, no ``<base>``, no HTML sinks in script."""
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
    )


def page(template: str, *, status: int = 200, **context: Any) -> Response:
    """Render ``template`` with a fresh nonce, and its CSP; ``context`` is auto-escaped."""
    nonce = secrets.token_urlsafe(18)
    html = _ENV.get_template(template).render(nonce=nonce, css=_CSS, js=_JS, texts=TEXTS, **context)
    headers = {**PAGE_HEADERS, "Content-Security-Policy": page_csp(nonce)}
    return HTMLResponse(html, status_code=status, headers=headers)


def problem_page(problem: Problem) -> Response:
    """A plain page that says what went wrong and what to do; no form."""
    return page("problem.html", status=problem.status, title=problem.title, problem=problem)


def json_answer(body: dict[str, object], *, status: int = 200) -> Response:
    """A JSON answer (the strict default CSP from the middleware applies)."""
    return JSONResponse(body, status_code=status, headers=PAGE_HEADERS)


def json_problem(problem: Problem) -> Response:
    """A refusal as JSON: ``error`` (kind), ``title``, ``message``, ``retry``, ``tries_left``."""
    return json_answer(problem.as_json(), status=problem.status)


def describe_duration(duration: timedelta) -> str:
    """``24 hours``, ``7 days``, ``30 minutes``: how long a link lives, for people."""
    seconds = int(duration.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"
