"""``credbot serve``: Slack's endpoint (or Socket Mode), the enrollment pages and the
operations routes, served by uvicorn."""

from __future__ import annotations

import click
from starlette.types import ASGIApp

from bot import wiring
from bot.cli.context import (
    EXIT_SETTINGS,
    EXIT_UNAVAILABLE,
    Context,
    exits_cleanly,
    fail,
    pass_context,
)
from bot.config import Settings
from bot.slack.socket_mode import SocketModeFailed
from bot.web import serving


@click.command()
@click.option("--host", help="Interface to listen on [default: CREDBOT_HOST, else 127.0.0.1].")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port to listen on [default: CREDBOT_PORT, else 8080].",
)
@click.option(
    "--ops-port",
    type=click.IntRange(1, 65535),
    help="Serve /healthz and /metrics only on this port (same interface), not on --port, "
    "which then answers 404 for them. Default: CREDBOT_OPS_PORT, else both on --port.",
)
@click.option(
    "--socket-mode",
    is_flag=True,
    help="Take Slack's commands, clicks and events over Socket Mode (SLACK_APP_TOKEN) instead "
    "of POST /slack/events, for workspaces without a public URL; the enrollment pages, "
    "/healthz and /metrics are still served over HTTP.",
)
@click.option(
    "--migrate",
    is_flag=True,
    help="Bring the database schema to the newest version first (as `credbot db upgrade`); "
    "without it, serve refuses to start on a database that is not migrated.",
)
@pass_context
@exits_cleanly
def serve(  # noqa: PLR0917 - click passes every option by keyword
    ctx: Context,
    host: str | None,
    port: int | None,
    ops_port: int | None,
    socket_mode: bool,
    migrate: bool,
) -> None:
    """Serve Slack's endpoint (POST /slack/events), the enrollment pages, GET /livez,
    GET /readyz, GET /healthz and GET /metrics as one ASGI app (uvicorn).

    Exit 3 when the database schema is not current (run `credbot db upgrade`, or pass
    --migrate), 4 when the database does not answer. With --ops-port (or CREDBOT_OPS_PORT),
    the operations routes are served on that port only. With --socket-mode, Slack is reached
    over Socket Mode instead; exit 3 if Slack refuses SLACK_APP_TOKEN, 4 if Slack cannot be
    reached or a port cannot be listened on.
    """
    host = host or ctx.settings.host
    port = port or ctx.settings.port
    settings = ctx.settings
    if ops_port is not None:
        settings = settings.model_copy(update={"ops_port": ops_port})
    if settings.ops_port == port:  # a usage error, said before anything is touched
        raise click.BadParameter("must differ from --port", param_hint="--ops-port")
    wiring.prepare_database(settings, migrate=migrate)
    if not socket_mode:
        _run_web(settings, wiring.build_server(settings), host, port)
        return
    web, slack_socket = wiring.build_socket_mode_server(settings)
    try:
        slack_socket.connect()  # before serving, so a refused token is a message, not a traceback
    except SocketModeFailed as exc:
        fail(str(exc), EXIT_SETTINGS if exc.refused else EXIT_UNAVAILABLE)
    _run_web(settings, web, host, port)  # its shutdown closes the connection


def _run_web(settings: Settings, app: ASGIApp, host: str, port: int) -> None:
    config = serving.server_config(
        app,
        host=host,
        port=port,
        read_timeout_s=settings.read_timeout.total_seconds(),
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's loggers propagate to credbot's handler (bot.logs)
        proxy_headers=True,
    )
    sockets = []
    for each in [port] if settings.ops_port is None else [port, settings.ops_port]:
        try:
            sockets.append(serving.listen(host, each))
        except OSError as exc:
            fail(f"cannot listen on {host}:{each}: {exc.strerror or exc}", EXIT_UNAVAILABLE)
    serving.serve(config, sockets)
