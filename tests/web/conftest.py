"""Fixtures for the web door: the real ASGI app served by uvicorn on a free loopback port, on
the real core (OpenBao, SQLite or PostgreSQL through the ``store`` fixture)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from bot.config import Settings, load_settings
from bot.core.context import Core
from bot.core.models import Contractor
from bot.web.app import build_web_app
from bot.web.enrollment import pages
from bot.web.serving import listen
from tests.support.core import PUBLIC_URL

Issued = Callable[[], tuple[Contractor, str]]


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread; yield its base URL; stop it afterwards.

    ``log_config=None`` leaves logging alone, so uvicorn's access log propagates to the root
    logger, where ``caplog`` sees it.
    """
    sock = listen("127.0.0.1", 0)  # the kernel picks the port: no other worker can have it
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=True, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def web_settings() -> Settings:
    return load_settings({"CREDBOT_PUBLIC_URL": PUBLIC_URL, "CREDBOT_LINK_TTL": "1h"})


@pytest.fixture
def server(core: Core, web_settings: Settings) -> Iterator[str]:
    """Base URL of the whole app (enrollment pages, health, metrics), HSTS off."""
    app = build_web_app(core=core, https=False, routes=pages(core, web_settings))
    with serve(app) as url:
        yield url


@pytest.fixture
def https_server(core: Core, web_settings: Settings) -> Iterator[str]:
    """The same app configured for an https public URL (HSTS on)."""
    app = build_web_app(core=core, https=True, routes=pages(core, web_settings))
    with serve(app) as url:
        yield url


@pytest.fixture
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


def enroll_url(base_url: str, secret: str) -> str:
    """The link as the contractor's browser opens it, pointed at the test server."""
    return f"{base_url}/enroll#{secret}"
