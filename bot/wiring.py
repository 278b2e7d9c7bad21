"""The one place that builds concrete backends (SQL store, Vault client) and hands them to the
core. Doors import this module, never ``sqlmodel`` or ``hvac``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import hvac
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from bot.config import Settings
from bot.core.agencies import AgencyCutoffs
from bot.core.clock import SystemClock
from bot.core.context import Core, Policy
from bot.core.health import DatabaseUnavailable
from bot.core.interfaces import Clock, Notifier
from bot.core.review_interfaces import ReviewStore
from bot.core.reviews import AccessReviews, ReviewPolicy
from bot.core.scheduler import PeriodicAnchor, PeriodicSweep
from bot.core.sharing import SharedAccounts, SharingRules
from bot.core.stores import Store
from bot.core.sweep import SweepOptions
from bot.core.workflow.service_result import recheck_after_service_result
from bot.metrics import PrometheusMetrics
from bot.notify import LogNotifier, LogSharingAlerts
from bot.slack.app import build_deps, build_slack_app
from bot.slack.deps import Deps
from bot.slack.directory import SlackDirectory
from bot.slack.notifier import SlackNotifier
from bot.slack.review_messenger import SlackReviewMessenger
from bot.slack.roles import RoleMembers, Roles
from bot.slack.sharing_alerts import SlackSharingAlerts
from bot.slack.socket_mode import SlackSocket
from bot.slack.verification import SeenRequests
from bot.slack.web_client import CountingWebClient
from bot.storage.agencies import SqlAgencies
from bot.storage.engine import make_engine
from bot.storage.health import check_database
from bot.storage.leases import SqlLeases
from bot.storage.migrate import head_revision, upgrade, upgrade_engine
from bot.storage.reviews import SqlReviews
from bot.storage.seen_requests import SqlSeenRequests
from bot.storage.sharing import SqlSharing
from bot.storage.store import SqlStore
from bot.vault_audit.file import AuditLogFile
from bot.vault_audit.job import AuditLogReader
from bot.web import enrollment
from bot.web.app import Background, build_web_app
from bot.web.kyc_webhook import kyc_webhook_route
from bot.web.slack_endpoint import slack_route
from vault.accounts import VaultAccounts
from vault.anchors import VaultAnchors
from vault.approle import destroy_secret_id_accessor, list_secret_id_accessors
from vault.audit_devices import AuditDevice, list_audit_devices
from vault.client import Retries, connect
from vault.credentials import read_credential_lifetimes
from vault.errors import VaultError, VaultUnavailable
from vault.locks import VaultLocks
from vault.login_mfa import TotpMethodSettings
from vault.models import ContractorTokenRules
from vault.setup import (
    InitReport,
    generate_secret_id,
    initialize,
    read_role_id,
    write_secret_file,
)

log = logging.getLogger("credbot.wiring")


def build_store(settings: Settings) -> SqlStore:
    """A store on the configured database (the schema must be upgraded already)."""
    return SqlStore(engine=make_engine(settings.database_url))


@dataclass(frozen=True)
class Database:
    """What lives in the database, on one engine (one connection pool per process)."""

    store: SqlStore
    leases: SqlLeases
    """Which replica runs the scheduled sweep."""
    seen_requests: SqlSeenRequests
    """Signed Slack requests already accepted by any replica."""
    reviews: SqlReviews
    """Access-review rounds and answers."""
    sharing: SqlSharing
    """Where the audit log reader stands, the logins it read and the flags it raised."""
    agencies: SqlAgencies
    """Agency cut-offs and the blocks they put on email domains."""


def open_database(settings: Settings, *, check: bool = False) -> Database:
    """The database-backed parts on the configured database (the schema must be current).

    With ``check`` (the admin commands), make sure of it first, creating nothing: raise
    ``NotReady`` (a SQLite file that does not exist, a schema to upgrade) or
    ``DatabaseUnavailable``, so a command says what to do instead of failing half-way."""
    engine = make_engine(settings.database_url, create=not check)
    if check:
        with database_answers():
            check_database(engine)
    store = SqlStore(engine=engine)
    return Database(
        store=store,
        leases=SqlLeases(engine=engine),
        seen_requests=SqlSeenRequests(engine=engine),
        reviews=SqlReviews(engine=engine),
        sharing=SqlSharing(engine=engine),
        agencies=SqlAgencies(engine=engine),
    )


def prepare_database(settings: Settings, *, migrate: bool) -> str:
    """What ``credbot serve`` does before serving: with ``migrate`` bring the schema to the
    newest revision, then check that this code can run on it; return the revision.

    Raises ``SchemaNotCurrent`` (a ``bot.core.health.NotReady``) for an empty or older schema,
    ``DatabaseUnavailable`` when the database does not answer.
    """
    engine = make_engine(settings.database_url, create=migrate)
    try:
        with database_answers():
            if migrate:
                upgrade_engine(engine)
            revision = check_database(engine)
    finally:
        engine.dispose()
    if revision != head_revision():
        log.warning(
            "the database is at revision %s, newer than this version's %s (a newer version "
            "migrated it); running on it",
            revision,
            head_revision(),
        )
    return revision


def bot_vault_client(settings: Settings, *, wait_for_vault: bool = False) -> hvac.Client:
    """A Vault client with the bot's own credentials (AppRole or token). ``wait_for_vault``
    (``credbot serve``): a Vault that cannot be reached at start is logged in to at its first
    use instead of stopping the server, so a replica restarted during a Vault outage still
    answers Slack and reports Vault on ``/healthz`` and ``/metrics``."""
    return _connect(
        settings,
        token=settings.vault_token,
        role_id=settings.vault_role_id,
        secret_id=settings.vault_secret_id,
        wait_for_vault=wait_for_vault,
    )


def _admin_client(settings: Settings) -> hvac.Client:
    """A Vault client holding ``VAULT_TOKEN`` (an admin's, for ``credbot vault init`` and the
    secret-ID commands)."""
    return _connect(settings, token=settings.vault_token)


def _connect(
    settings: Settings,
    *,
    token: str | None,
    role_id: str | None = None,
    secret_id: str | None = None,
    wait_for_vault: bool = False,
) -> hvac.Client:
    """``vault.client.connect`` to ``VAULT_ADDR`` with the settings' TLS trust
    (``VAULT_CACERT``/``VAULT_CAPATH``), namespace and retries."""
    return connect(
        settings.vault_addr,
        token=token,
        role_id=role_id,
        secret_id=secret_id,
        verify=settings.vault_verify,
        namespace=settings.vault_namespace,
        retries=Retries(max_retries=settings.vault_max_retries),
        wait_for_vault=wait_for_vault,
    )


def build_vault(settings: Settings, client: hvac.Client) -> VaultAccounts:
    """Contractor accounts in Vault through the bot's ``client``, with the settings' token
    rules."""
    return VaultAccounts(client=client, tokens=contractor_token_rules(settings))


def contractor_token_rules(settings: Settings) -> ContractorTokenRules:
    """The contractors' token TTLs and CIDRs, for the bot and for ``credbot vault init`` alike
    (the bot's policy allows exactly these)."""
    return ContractorTokenRules(
        ttl=settings.token_ttl,
        max_ttl=settings.token_max_ttl,
        bound_cidrs=tuple(settings.bound_cidrs),
    )


def build_policy(settings: Settings) -> Policy:
    """The lifecycle rules from settings."""
    return Policy(
        public_url=settings.public_url,
        link_ttl=settings.link_ttl,
        roles=frozenset(settings.roles),
        max_totp_failures=settings.max_totp_failures,
        retention=settings.retention,
    )


def build_core(
    settings: Settings,
    *,
    notifier: Notifier | None = None,
    clock: Clock | None = None,
    store: Store | None = None,
    vault_client: hvac.Client | None = None,
    agencies: AgencyCutoffs | None = None,
) -> Core:
    """The core on real backends; ``notifier`` defaults to logging (no Slack), ``store`` to a
    new one from the settings, ``vault_client`` to the bot's own Vault login (accounts and the
    audit anchor share it); ``agencies`` (the database's) turns agency cut-offs on. It counts
    into the process's Prometheus metrics."""
    client = vault_client or bot_vault_client(settings)
    return Core(
        store=store or build_store(settings),
        vault=build_vault(settings, client),
        clock=clock or SystemClock(),
        notifier=notifier or LogNotifier(),
        policy=build_policy(settings),
        anchors=VaultAnchors(client=client),
        metrics=PrometheusMetrics(),
        agencies=agencies,
    )


def slack_enabled(settings: Settings) -> bool:
    """True when both Slack secrets are set."""
    return bool(settings.slack_bot_token and settings.slack_signing_secret)


def build_slack_client(settings: Settings) -> WebClient:
    """The Web API client: bot token, ``SLACK_API_URL``, and retries for rate limits (after
    ``Retry-After``), dropped connections and 5xx answers. Errors left after the retries
    are counted (``credbot_slack_errors_total``) and reach the caller as ``SlackApiError``."""
    base_url = settings.slack_api_url.rstrip("/") + "/"
    return CountingWebClient(
        token=settings.slack_bot_token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


@dataclass(frozen=True)
class SlackParts:
    """The Slack door as ``build_slack`` wires it, all on one Web API client."""

    core: Core
    """The core with a ``SlackNotifier``."""
    app: App
    deps: Deps
    directory: SlackDirectory
    """What the sweep asks about departures."""
    reviews: AccessReviews | None
    """Access reviews the scheduled sweep runs (``None``: off)."""


def build_slack(
    settings: Settings,
    *,
    database: Database,
    vault_client: hvac.Client,
    clock: Clock | None = None,
) -> SlackParts:
    """The core, the Bolt app and what they share.
    Raises ``CheckConfigError`` when the identity checks' settings are missing."""
    client = build_slack_client(settings)
    notifier = SlackNotifier(
        client=client,
        audit_channel=settings.audit_channel,
        admins=settings.admins,
        approval_channel=settings.approval_channel,
    )
    core = build_core(
        settings,
        notifier=notifier,
        clock=clock,
        store=database.store,
        vault_client=vault_client,
        agencies=database.agencies,
    )
    reviews = build_reviews(settings, store=database.reviews, client=client)
    deps = replace(
        build_deps(core=core, settings=settings, client=client, leases=database.leases),
        reviews=reviews,
    )
    sharing = build_sharing(settings, core, database=database, vault_client=vault_client)
    if sharing is not None:
        alerts = SlackSharingAlerts(
            client=client,
            audit_channel=settings.audit_channel,
            admins=settings.admins,
            rules=sharing.rules,
        )
        deps = replace(deps, sharing=replace(sharing, alerts=alerts))
    return SlackParts(
        core=core,
        app=build_slack_app(deps, settings=settings),
        deps=deps,
        directory=SlackDirectory(client=client),
        reviews=reviews,
    )


def build_reviews(
    settings: Settings, *, store: ReviewStore, client: WebClient | None = None
) -> AccessReviews | None:
    """Access reviews on ``store``, sent through Slack (``client``, default a new one), when
    ``CREDBOT_ACCESS_REVIEW_INTERVAL`` is set and Slack is on; else ``None`` (reviews are
    answered in Slack, so without it there is nobody to ask)."""
    if not settings.access_review_interval:
        return None
    if not slack_enabled(settings):
        log.warning("access reviews are on but Slack is off: no review is started")
        return None
    client = client or build_slack_client(settings)
    roles = Roles(
        members=RoleMembers(
            managers=settings.managers, approvers=settings.approvers, admins=settings.admins
        ),
        client=client,
    )
    return AccessReviews(
        store=store,
        messenger=SlackReviewMessenger(
            client=client, roles=roles, audit_channel=settings.audit_channel, admins=settings.admins
        ),
        policy=ReviewPolicy(
            interval=settings.access_review_interval, grace=settings.access_review_grace
        ),
    )


def build_sharing(
    settings: Settings, core: Core, *, database: Database, vault_client: hvac.Client
) -> SharedAccounts | None:
    """Shared-account detection when ``CREDBOT_AUDIT_LOG`` is set (alerts logged; the Slack
    door replaces them with its own), else ``None``."""
    if settings.audit_log is None:
        return None
    return SharedAccounts(
        core=core,
        store=database.sharing,
        locks=VaultLocks(client=vault_client),
        alerts=LogSharingAlerts(),
        rules=SharingRules(window=settings.sharing_window, bound_cidrs=settings.bound_cidrs),
    )


def kyc_webhook(settings: Settings, deps: Deps) -> list[BaseRoute]:
    """``POST /kyc/webhook`` when ``CREDBOT_KYC_WEBHOOK_SECRET`` is set: a service's result is
    stored, then the request's checks run again after the answer."""
    secret = settings.kyc_webhook_secret
    if not secret:
        return []
    return [
        kyc_webhook_route(
            deps.core,
            secret=secret,
            on_result=lambda contractor_id: deps.later(
                lambda: recheck_after_service_result(deps.core, contractor_id, checks=deps.checks)
            ),
            read_timeout_s=settings.read_timeout.total_seconds(),
        )
    ]


def slack_events(settings: Settings, app: App, *, seen: SeenRequests, deps: Deps) -> BaseRoute:
    """``POST /slack/events`` for ``app``: bodies read within ``CREDBOT_READ_TIMEOUT``,
    signed with ``SLACK_SIGNING_SECRET`` and never seen before (``seen``, the replicas' shared
    memory) before Bolt parses them; ``deps``' work after the ack yields to them."""
    if not settings.slack_signing_secret:
        raise ValueError("SLACK_SIGNING_SECRET is required for POST /slack/events")
    return slack_route(
        app,
        signing_secret=settings.slack_signing_secret,
        seen=seen,
        after_ack=deps.after_ack,
        read_timeout_s=settings.read_timeout.total_seconds(),
    )


def build_server(settings: Settings) -> ASGIApp:
    """The ASGI app ``credbot serve`` runs, on real backends. Slack's endpoint is served only
    when ``SLACK_BOT_TOKEN`` and ``SLACK_SIGNING_SECRET`` are set; otherwise a warning says so
    at start-up and links cannot be delivered."""
    database = open_database(settings)
    vault_client = bot_vault_client(settings, wait_for_vault=True)
    if slack_enabled(settings):
        slack = build_slack(settings, database=database, vault_client=vault_client)
        log.info("Slack is on: POST /slack/events, Web API at %s", settings.slack_api_url)
        return _web_app(
            settings, slack.core, database, vault_client=vault_client, slack=slack, events=True
        )
    log.warning("Slack is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to serve /slack/events")
    core = build_core(
        settings, store=database.store, vault_client=vault_client, agencies=database.agencies
    )
    return _web_app(settings, core, database, vault_client=vault_client)


def build_socket_mode_server(settings: Settings) -> tuple[ASGIApp, SlackSocket]:
    """``credbot serve --socket-mode``: the Bolt app on a Socket Mode connection, and the
    ASGI app with everything but ``POST /slack/events`` (enrollment pages, health, metrics,
    the scheduled sweep), which contractors' browsers still need. The connection starts and
    stops with the ASGI app (or earlier, with ``connect()``). Raises ``SettingsError``
    without ``SLACK_APP_TOKEN`` and ``SLACK_BOT_TOKEN``, before anything is built."""
    app_token = settings.socket_mode_token()
    database = open_database(settings)
    vault_client = bot_vault_client(settings, wait_for_vault=True)
    slack = build_slack(settings, database=database, vault_client=vault_client)
    slack_socket = SlackSocket(app=slack.app, app_token=app_token, after_ack=slack.deps.after_ack)
    log.info("Slack is on over Socket Mode, Web API at %s", settings.slack_api_url)
    web = _web_app(
        settings,
        slack.core,
        database,
        vault_client=vault_client,
        slack=slack,
        slack_socket=slack_socket,
    )
    return web, slack_socket


def _web_app(
    settings: Settings,
    core: Core,
    database: Database,
    *,
    vault_client: hvac.Client,
    slack: SlackParts | None = None,
    events: bool = False,
    slack_socket: SlackSocket | None = None,
) -> ASGIApp:
    """The ASGI app around ``core``: the enrollment pages, with Slack on the KYC webhook (if
    configured) and, with ``events``, ``POST /slack/events``; the scheduled sweep, which
    asks Slack (when on) who was deactivated and holds the sweep lease, so one replica sweeps
    at a time; and the audit anchor job. A ``slack_socket`` stops first at shutdown, so no new
    envelope arrives while the sweep winds down; the anchor job stops last, so it signs what
    the others wrote. The operations routes go to their own listener when
    ``CREDBOT_OPS_PORT`` (or ``--ops-port``) is set; ``/metrics`` reads how long the bot's
    own credentials (``vault_client``'s) have left."""
    background: list[Background] = [slack_socket] if slack_socket else []
    worker = f"{socket.gethostname()}:{os.getpid()}"
    sharing = slack.deps.sharing if slack else None
    sharing = sharing or build_sharing(settings, core, database=database, vault_client=vault_client)
    if sharing is not None and settings.audit_log is not None:
        background.append(
            AuditLogReader(
                sharing=sharing,
                source=AuditLogFile(settings.audit_log),
                leases=database.leases,
                holder=worker,
            )
        )
    if settings.sweep_interval > timedelta(0):
        options = SweepOptions(
            worker=worker,
            max_share=settings.sweep_max_share,
            reconcile_every=settings.reconcile_interval,
        )
        background.append(
            PeriodicSweep(
                core=core,
                options=options,
                interval=settings.sweep_interval,
                leases=database.leases,
                directory=slack.directory if slack else None,
                reviews=slack.reviews if slack else None,
            )
        )
    if settings.anchor_interval > timedelta(0):
        background.append(PeriodicAnchor(core=core, interval=settings.anchor_interval))
    return build_web_app(
        core=core,
        https=settings.public_url.startswith("https://"),
        routes=[
            *enrollment.pages(core, settings),
            *(kyc_webhook(settings, slack.deps) if slack else []),
            *(
                [slack_events(settings, slack.app, seen=database.seen_requests, deps=slack.deps)]
                if slack and events
                else []
            ),
        ],
        background=background,
        ops_port=settings.ops_port,
        credentials=lambda: read_credential_lifetimes(vault_client),
    )


def upgrade_database(settings: Settings) -> str:
    """Bring the schema to the newest migration; return the revision now in place. Raises
    ``DatabaseUnavailable`` when the database does not answer."""
    with database_answers():
        return upgrade(settings.database_url)


@contextmanager
def database_answers() -> Iterator[None]:
    """The driver's errors as ``DatabaseUnavailable``, with the driver's first line, never the
    URL (it may hold a password): what every command reports instead of a traceback."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()[0]
        answered = not isinstance(exc, OperationalError | InterfaceError)
        what = "refused the request" if answered else "did not answer"
        raise DatabaseUnavailable(f"the database {what}: {reason}") from None


def init_vault(
    settings: Settings, *, dry_run: bool = False, force: bool = False
) -> tuple[InitReport, str | None]:
    """Plan and run the Vault set-up with the admin token in ``VAULT_TOKEN``; return the
    report and the bot's AppRole role ID (``None`` in a dry run before the role exists).
    Raises ``VaultSetupDrift`` (nothing changed) for existing items that differ, unless
    ``force``."""
    client = _admin_client(settings)
    totp = TotpMethodSettings(
        issuer=settings.totp_issuer, max_validation_attempts=settings.max_totp_failures
    )
    report = initialize(
        client,
        roles=tuple(settings.roles),
        totp=totp,
        tokens=contractor_token_rules(settings),
        policy_dir=settings.policy_dir,
        dry_run=dry_run,
        force=force,
    )
    role_exists = not dry_run or "auth/approle/role/credbot" in report.unchanged
    return report, read_role_id(client) if role_exists else None


def audit_devices(settings: Settings) -> list[AuditDevice] | None:
    """The audit devices Vault has on, ``None`` when Vault will not list them to this token
    (it may not read ``sys/audit``, or it lives in a namespace: Vault lists audit devices in
    the root namespace only). Raises ``VaultUnavailable``."""
    try:
        return list_audit_devices(_admin_client(settings))
    except VaultUnavailable:
        raise
    except VaultError:
        return None


def write_secret_id(settings: Settings, path: Path) -> str:
    """Generate a new AppRole secret ID for the bot and write it to ``path`` (mode 0600,
    never overwriting), so it never passes through a terminal or a log; return its accessor.
    Refuses (``FileExistsError``) before asking Vault when ``path`` exists; if the file
    cannot be written, the new secret ID is destroyed again."""
    if path.exists():
        raise FileExistsError(str(path))
    client = _admin_client(settings)
    secret_id, accessor = generate_secret_id(client)
    try:
        write_secret_file(path, secret_id)
    except OSError:
        destroy_secret_id_accessor(client, accessor)
        raise
    return accessor


def rotate_secret_id(settings: Settings, path: Path) -> int:
    """Write a new secret ID to ``path`` (as ``write_secret_id``), then destroy every other
    secret ID of the bot's role; return how many were destroyed."""
    accessor = write_secret_id(settings, path)
    client = _admin_client(settings)
    others = [a for a in list_secret_id_accessors(client) if a != accessor]
    for old in others:
        destroy_secret_id_accessor(client, old)
    return len(others)
