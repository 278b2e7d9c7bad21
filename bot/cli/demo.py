"""``credbot demo``: the real app on embedded defaults, with a local stand-in of Slack."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from bot.cli.context import EXIT_UNAVAILABLE, exits_cleanly, fail


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".credbot/demo"),
    show_default=True,
    help="Where the demo keeps its SQLite file and logs (emptied first).",
)
@click.option(
    "--keep-running",
    is_flag=True,
    help="After printing the contractor's link, keep the server up (Ctrl-C stops it) so the "
    "link can be opened in a browser; without it the demo offboards and exits.",
)
@exits_cleanly
def demo(data_dir: Path, keep_running: bool) -> None:
    """Run the real app on embedded defaults (its own local OpenBao dev server, never the
    environment's VAULT_ADDR; a SQLite file) with a LOCAL STAND-IN of Slack: a manager's
    /contractor onboard and an approver's click are sent as signed requests, the contractor's
    one-time link is printed, and the contractor enrols and logs in. No Slack workspace
    needed."""
    import threading  # noqa: PLC0415

    from bot.dev.demo import run_demo  # noqa: PLC0415 - dev-only code, loaded on demand
    from bot.dev.openbao import DevServerError  # noqa: PLC0415

    stop = threading.Event()
    _interrupt_on_sigterm()
    try:
        run_demo(data_dir, click.echo, keep_running=keep_running, stop=stop)
    except KeyboardInterrupt:
        stop.set()
        click.echo("stopped")
    except DevServerError as exc:
        fail(str(exc), EXIT_UNAVAILABLE)


def _interrupt_on_sigterm() -> None:
    """SIGTERM (``kill``, a container stopping) ends the demo like Ctrl-C, so its clean-up runs
    and stops the OpenBao dev server: Python's default for SIGTERM exits at once, leaving that
    child process running with its root token."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
