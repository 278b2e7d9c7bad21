"""``credbot``: the command line for operators. Parses arguments, calls the core, prints.

Exit codes scripts can rely on:
  0 done; 1 done, but a problem was found (broken audit chain, revocation still pending);
  2 usage error; 3 invalid settings (or, for ``serve``, a database schema to upgrade first);
  4 Vault or the database unreachable;
  5 refused by the lifecycle (not found, not allowed, illegal transition, another sweep running).
"""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.progress import Progress
from starlette.types import ASGIApp

from bot import wiring
from bot.agency_cli import print_receipt, print_requested
from bot.checks import CheckConfigError
from bot.config import Settings, SettingsError, load_settings
from bot.core import agency_cutoff, queries, revocation
from bot.core.agencies import CutoffOpen
from bot.core.agency_messages import SLACK_USER
from bot.core.anchoring import TrailCheck, check_trail
from bot.core.audit import canonical_time, entry_as_json
from bot.core.context import Core
from bot.core.errors import CredbotError, RevocationPending
from bot.core.health import DatabaseMisconfigured, DatabaseUnavailable, NotReady
from bot.core.messages import explain
from bot.core.models import Contractor, IdentityVerification
from bot.core.states import State
from bot.core.sweep import SweepOptions, exclusive_sweep, sweep
from bot.durations import parse_duration
from bot.logs import configure_logging
from bot.slack import agency_card
from bot.slack.socket_mode import SocketModeFailed
from bot.sweep_report import print_report
from bot.web import serving
from vault.audit_devices import file_stanza
from vault.errors import VaultError, VaultSetupDrift, VaultUnavailable
from vault.models import SetupChange

EXIT_PROBLEM_FOUND = 1
EXIT_SETTINGS = 3
EXIT_UNAVAILABLE = 4
EXIT_REFUSED = 5

P = ParamSpec("P")
R = TypeVar("R")


def _fail(message: str, code: int) -> None:
    click.echo(f"credbot: {message}", err=True)
    sys.exit(code)


def exits_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the typed errors a command can meet into a message and a documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with wiring.database_answers():
                return command(*args, **kwargs)
        except (SettingsError, CheckConfigError, NotReady, DatabaseMisconfigured) as exc:
            _fail(str(exc), EXIT_SETTINGS)
        except VaultUnavailable as exc:
            _fail(f"Vault is unavailable: {exc}", EXIT_UNAVAILABLE)
        except DatabaseUnavailable as exc:
            _fail(str(exc), EXIT_UNAVAILABLE)
        except RevocationPending as exc:
            _fail(explain(exc), EXIT_PROBLEM_FOUND)
        except CredbotError as exc:
            _fail(explain(exc), EXIT_REFUSED)
        except VaultError as exc:
            _fail(f"Vault refused: {exc}", EXIT_REFUSED)
        raise AssertionError("unreachable")

    return wrapper


class Context:
    """Settings are loaded lazily so ``--help`` works with a broken environment."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._database: wiring.Database | None = None
        self._core: Core | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
            configure_logging(self._settings.log_level, self._settings.log_format)
        return self._settings

    @property
    def database(self) -> wiring.Database:
        """The database, checked first: a command on a database that is missing, not
        migrated or not answering says so (exit 3 or 4) before doing anything."""
        if self._database is None:
            self._database = wiring.open_database(self.settings, check=True)
        return self._database

    @property
    def core(self) -> Core:
        if self._core is None:
            self._core = wiring.build_core(
                self.settings, store=self.database.store, agencies=self.database.agencies
            )
        return self._core


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="credbot")
def main() -> None:
    """credbot: unique, TOTP-protected, automatically revoked contractor credentials.

    Settings come from the environment (see the README). Exit codes: 0 done, 1 problem found,
    2 usage, 3 settings, 4 Vault/database unavailable, 5 refused.
    """


@main.group()
def vault() -> None:
    """Set up Vault (run once, with an admin token)."""


@vault.command("init")
@click.option(
    "--secret-id-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also generate an AppRole secret ID for the bot and write it to this new file (0600).",
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be created or changed; change nothing."
)
@click.option(
    "--force",
    is_flag=True,
    help="Also change what exists and differs from what credbot would write (shown as diffs).",
)
@pass_context
@exits_cleanly
def vault_init(ctx: Context, secret_id_file: Path | None, dry_run: bool, force: bool) -> None:
    """Create mounts, login MFA, policies and the bot's AppRole role; show what changes.

    Needs VAULT_ADDR and an admin VAULT_TOKEN. Creating what is missing is always done;
    changing a policy, role or setting that exists and differs is refused (nothing is written)
    unless --force: review it with --dry-run first.
    """
    if secret_id_file is not None and secret_id_file.exists():
        _fail(f"{secret_id_file} exists: choose a new file (nothing was changed)", EXIT_SETTINGS)
    try:
        report, role_id = wiring.init_vault(ctx.settings, dry_run=dry_run, force=force)
    except VaultSetupDrift as drift:
        for change in drift.changes:
            _echo_change("differs:", change)
        _fail(
            f"refused: {len(drift.changes)} item(s) in Vault differ from what credbot would "
            "write; nothing was changed. Review with --dry-run, apply with --force.",
            EXIT_REFUSED,
        )
    prefix = (
        {"create": "would create:", "update": "would update:"}
        if dry_run
        else {"create": "created:", "update": "updated:"}
    )
    for change in report.changes:
        _echo_change(prefix[change.action], change)
    for item in report.unchanged:
        click.echo(f"in place:     {item}")
    if role_id is not None:
        click.echo(f"AppRole role ID (set VAULT_ROLE_ID): {role_id}")
    _echo_audit_devices(ctx.settings)
    if dry_run:
        click.echo("dry run: nothing was changed")
    elif secret_id_file is not None:
        wiring.write_secret_id(ctx.settings, secret_id_file)
        click.echo(f"AppRole secret ID written to {secret_id_file} (set VAULT_SECRET_ID_FILE)")


def _echo_audit_devices(settings: Settings) -> None:
    """Say whether a file audit device is on (shared-account detection reads it), and how to
    add one: OpenBao 2.x takes them only from the server's configuration, not from the API."""
    devices = wiring.audit_devices(settings)
    wanted = settings.audit_log or Path("/var/log/openbao/audit.log")
    if devices is None:
        click.echo(
            "audit device: Vault does not list audit devices to this token (it needs sudo on "
            "sys/audit, in the root namespace), so credbot cannot tell"
        )
    files = [device for device in devices or [] if device.type == "file"]
    for device in files:
        click.echo(f"audit device: file {device.path} writes {device.file_path}")
    if devices is not None and not files:
        click.echo(
            "audit device: none of type file; shared-account detection (CREDBOT_AUDIT_LOG) "
            "needs one. Add this to the server's configuration and restart it:"
        )
        click.echo(file_stanza(wanted), nl=False)
    elif settings.audit_log and str(settings.audit_log) not in {d.file_path for d in files}:
        click.echo(
            f"audit device: CREDBOT_AUDIT_LOG is {settings.audit_log}, which no file audit "
            "device writes that Vault lists"
        )


def _echo_change(prefix: str, change: SetupChange) -> None:
    click.echo(f"{prefix:<13} {change.item}")
    for line in change.details:
        click.echo(f"    {line}")


@vault.command("rotate-secret-id")
@click.option(
    "--secret-id-file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The new file (0600) the new secret ID is written to; it must not exist.",
)
@pass_context
@exits_cleanly
def vault_rotate_secret_id(ctx: Context, secret_id_file: Path) -> None:
    """Give the bot a new AppRole secret ID and destroy every earlier one.

    Needs an admin VAULT_TOKEN. Point the bot at the new file (VAULT_SECRET_ID_FILE) and restart
    it: a bot still on an old secret ID keeps its current token (at most an hour) and then
    cannot log in again.
    """
    if secret_id_file.exists():
        _fail(f"{secret_id_file} exists: choose a new file (nothing was changed)", EXIT_SETTINGS)
    destroyed = wiring.rotate_secret_id(ctx.settings, secret_id_file)
    click.echo(f"AppRole secret ID written to {secret_id_file} (set VAULT_SECRET_ID_FILE)")
    click.echo(f"earlier secret IDs destroyed: {destroyed}")


@main.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@pass_context
@exits_cleanly
def db_upgrade(ctx: Context) -> None:
    """Create or migrate the schema to the newest version (safe to repeat)."""
    revision = wiring.upgrade_database(ctx.settings)
    click.echo(f"database at revision {revision}")


@main.group()
def audit() -> None:
    """Verify and export the hash-chained audit trail."""


@audit.command("verify")
@pass_context
@exits_cleanly
def audit_verify(ctx: Context) -> None:
    """Check every audit event against the chain, and the chain against the newest anchor
    signed in Vault. Exit 1 and name the rows (or the missing tail) if anything is wrong."""
    trail = check_trail(ctx.core)
    for chain_break in trail.breaks:
        click.echo(f"event #{chain_break.seq}: {chain_break.problem}", err=True)
    if trail.anchor_problem:
        click.echo(trail.anchor_problem, err=True)
    if trail.breaks:
        _fail(
            f"audit chain broken in {len(trail.breaks)} place(s) out of {trail.events} events",
            EXIT_PROBLEM_FOUND,
        )
    if trail.anchor_problem:
        _fail(
            f"audit trail does not match its signed anchor ({trail.events} events)",
            EXIT_PROBLEM_FOUND,
        )
    click.echo(f"audit chain intact: {trail.events} events")
    click.echo(_anchor_status(trail))


def _anchor_status(trail: TrailCheck) -> str:
    """How the intact chain stands against the signed anchor, and how far the anchor lags."""
    if trail.anchor is None:
        if not trail.events:
            return "signed anchor: none yet (no events)"
        return (
            f"signed anchor: none yet: the {trail.events} events are not anchored (the sweep "
            "and credbot serve anchor the chain)"
        )
    anchor = trail.anchor
    signed = f"signed anchor: event #{anchor.seq}, signed {canonical_time(anchor.signed_at)}"
    if not trail.lag:
        return f"{signed}, is the newest event"
    lagging = "event is" if trail.lag == 1 else f"{trail.lag} events are"
    return (
        f"{signed}; anchoring lags: the newest {lagging} not anchored yet "
        f"(anchor at seq {anchor.seq}, database ends at {trail.ends_at})"
    )


@audit.command("export")
@click.option("-o", "--output", type=click.File("w"), default="-", help="File (default stdout).")
@click.option(
    "--after-seq",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="Only events after event #N: what a SIEM has not received yet.",
)
@pass_context
@exits_cleanly
def audit_export(ctx: Context, output: IO[str], after_seq: int) -> None:
    """Write the audit events as one JSON object per line, in chain order."""
    for event in queries.audit_events(ctx.core, after_seq=after_seq):
        record = {
            "seq": event.seq,
            **entry_as_json(event.entry),
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }
        output.write(json.dumps(record, sort_keys=True) + "\n")


def _as_json(record: Contractor | IdentityVerification) -> dict[str, Any]:
    data = asdict(record)
    return {
        key: str(value) if not isinstance(value, int | type(None)) else value
        for key, value in data.items()
    }


@main.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in State]),
    help="Only these states (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
@exits_cleanly
def list_contractors(ctx: Context, states: tuple[str, ...], as_json: bool) -> None:
    """List contractors, oldest first."""
    contractors = queries.list_contractors(
        ctx.core, states=[State(s) for s in states] if states else None
    )
    for contractor in contractors:
        if as_json:
            click.echo(json.dumps(_as_json(contractor), sort_keys=True))
        else:
            click.echo(
                f"{contractor.id}  {contractor.slack_user_id:<12} {contractor.state.value:<18}"
                f" {contractor.role:<10} ends {contractor.end_date}  {contractor.username or '-'}"
            )


@main.command()
@click.argument("contractor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
@exits_cleanly
def status(ctx: Context, contractor: str, as_json: bool) -> None:
    """Show one contractor, by contractor ID or Slack user ID, with the identity checks last
    run on the request and its KYC verifications (a service's reference included)."""
    found = queries.find_contractor(ctx.core, contractor)
    checks = queries.check_results(ctx.core, found.id)
    verifications = queries.verifications(ctx.core, found.id)
    if as_json:
        shown = {
            **_as_json(found),
            "identity_checks": [asdict(check) for check in checks],
            "identity_verifications": [_as_json(v) for v in verifications],
        }
        click.echo(json.dumps(shown, sort_keys=True, indent=2))
        return
    for key, value in _as_json(found).items():
        click.echo(f"{key:>22}: {value}")
    for check in checks:
        click.echo(f"{'check':>22}: {check.check}: {check.outcome}: {check.reason}")
    for v in verifications:
        by = f" by {v.verified_by}" if v.verified_by else ""
        click.echo(f"{'verification':>22}: {v.method} {v.reference}: {v.status}{by}")


@main.command()
@click.argument("contractor", required=False)
@click.option(
    "--email-domain",
    metavar="DOMAIN",
    help="Instead of one contractor: cut off everyone whose email is at exactly DOMAIN, once "
    "a second admin confirms on the card this posts to CREDBOT_AUDIT_CHANNEL; run it again "
    "after the confirmation to finish what is still pending.",
)
@click.option("--reason", required=True, help="Why access ends (kept in the audit trail).")
@click.option(
    "--actor",
    default="cli",
    show_default=True,
    help="Who is offboarding; with --email-domain your Slack user ID (U…), so that you cannot "
    "confirm your own cut-off.",
)
@pass_context
@exits_cleanly
def offboard(
    ctx: Context, contractor: str | None, email_domain: str | None, reason: str, actor: str
) -> None:
    """Revoke every credential of a contractor now. Exit 1 if Vault could not finish yet."""
    if (contractor is None) == (email_domain is None):
        raise click.UsageError("name one contractor, or give --email-domain")
    if email_domain is not None:
        _offboard_agency(ctx, email_domain, reason=reason, actor=actor)
        return
    found = queries.find_contractor(ctx.core, contractor or "")
    result = revocation.offboard(ctx.core, found.id, actor=actor, reason=reason)
    click.echo(f"{result.id}: {result.state.value}")


def _offboard_agency(ctx: Context, domain: str, *, reason: str, actor: str) -> None:
    """Ask for an agency cut-off (the card goes to Slack), or finish one two admins agreed
    on, with the sweep's progress bar and the receipt (exit 1 while some are pending)."""
    if not SLACK_USER.match(actor):
        raise click.BadParameter(
            "give your Slack user ID (U…) with --email-domain", param_hint="--actor"
        )
    if not ctx.settings.slack_bot_token or not ctx.settings.audit_channel:
        _fail(
            "a cut-off is confirmed by a second admin in Slack: set SLACK_BOT_TOKEN and "
            "CREDBOT_AUDIT_CHANNEL (nothing was changed)",
            EXIT_SETTINGS,
        )
    channel = ctx.settings.audit_channel or ""
    client = wiring.build_slack_client(ctx.settings)
    console = Console(soft_wrap=True)  # lines a script can grep
    try:
        cutoff, found = agency_card.ask_second_admin(
            ctx.core, client, channel=channel, domain=domain, actor=actor, reason=reason
        )
    except agency_card.CardNotPosted as exc:
        _fail(f"{exc}; the request was cancelled, nothing was changed", EXIT_UNAVAILABLE)
    except CutoffOpen as exc:
        if exc.cutoff.status != "blocking":
            raise
        options = SweepOptions(worker=f"{socket.gethostname()}:{os.getpid()}")
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"cutting off {exc.cutoff.domain}", total=None)
            receipt = agency_card.carry_out_and_report(
                ctx.core,
                client,
                exc.cutoff,
                options=options,
                audit_channel=channel,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        print_receipt(receipt, console)
        if not receipt.complete:
            sys.exit(EXIT_PROBLEM_FOUND)
        return
    print_requested(cutoff, found, channel, console)


@main.command()
@click.option("--email-domain", required=True, metavar="DOMAIN", help="The agency's domain.")
@click.option("--reason", required=True, help="Why the block ends (kept in the audit trail).")
@click.option("--actor", default="cli", show_default=True, help="Who lifts the block.")
@pass_context
@exits_cleanly
def unblock(ctx: Context, email_domain: str, reason: str, actor: str) -> None:
    """Lift an agency's block (see offboard --email-domain): requests for the domain are
    accepted again, each still checked and approved. Exit 5 if it is not blocked."""
    lifted = agency_cutoff.lift_block(ctx.core, email_domain, actor=actor, reason=reason)
    click.echo(f"{lifted.domain}: block lifted; requests for it are accepted again")


def _duration_option(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    try:
        lease = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if lease <= timedelta(0):
        raise click.BadParameter("must be longer than 0s")
    return lease


@main.command("sweep")
@click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--fix-drift", is_flag=True, help="Also remove orphan Vault users.")
@click.option("--force", is_flag=True, help="Override the circuit breaker (after checking).")
@click.option(
    "--lease",
    default="10m",
    show_default=True,
    metavar="DURATION",
    callback=_duration_option,
    help="How long this run's claim on one contractor holds if the run dies (90s, 10m, ...); "
    "a claim is taken just before that contractor is revoked, so it only needs to outlast one "
    "revocation. After a crash, claims of the dead run block those contractors this long.",
)
@pass_context
@exits_cleanly
def sweep_command(
    ctx: Context, *, dry_run: bool, as_json: bool, fix_drift: bool, force: bool, lease: timedelta
) -> None:
    """Revoke what is due (ended contracts, expired links, interrupted revocations), then
    reconcile Vault with the database. Exit 0 when all is done, 1 when work is pending, 4
    when it is pending because Vault did not answer (what was done is still reported), 5
    when another sweep (a replica's scheduled one) is running: one sweeps at a time."""
    core, leases = ctx.core, ctx.database.leases  # a database or Vault refusal before the bar
    options = SweepOptions(
        worker=f"{socket.gethostname()}:{os.getpid()}",
        dry_run=dry_run,
        fix_drift=fix_drift,
        force=force,
        max_share=ctx.settings.sweep_max_share,
        lease=lease,
    )
    console = Console(stderr=as_json)
    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("revoking", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        reviews = wiring.build_reviews(ctx.settings, store=ctx.database.reviews)
        report = (
            sweep(core, options, progress=progress, reviews=reviews)  # no lease needed
            if dry_run
            else exclusive_sweep(core, options, leases=leases, progress=progress, reviews=reviews)
        )
    if as_json:
        click.echo(json.dumps(report.as_json(), sort_keys=True))
    else:
        print_report(report, console)
    if not report.all_done:
        sys.exit(EXIT_UNAVAILABLE if report.vault_unreachable else EXIT_PROBLEM_FOUND)


@main.command()
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
        _fail(str(exc), EXIT_SETTINGS if exc.refused else EXIT_UNAVAILABLE)
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
            _fail(f"cannot listen on {host}:{each}: {exc.strerror or exc}", EXIT_UNAVAILABLE)
    serving.serve(config, sockets)


@main.command()
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
        _fail(str(exc), EXIT_UNAVAILABLE)


def _interrupt_on_sigterm() -> None:
    """SIGTERM (``kill``, a container stopping) ends the demo like Ctrl-C, so its clean-up runs
    and stops the OpenBao dev server: Python's default for SIGTERM exits at once, leaving that
    child process running with its root token."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def run() -> None:
    """Entry point for ``python -m bot``."""
    main(prog_name="credbot")


from bot.review_cli import review  # noqa: E402 - it builds on the names above

main.add_command(review)
