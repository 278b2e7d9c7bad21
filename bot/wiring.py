"""The one place that builds concrete backends (SQL store, Vault client) and hands them to the
core. Doors import this module, never ``sqlmodel`` or ``hvac``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from bot.config import Settings
from bot.core.clock import SystemClock
from bot.core.context import Core, Policy
from bot.core.interfaces import Clock, Notifier
from bot.notify import LogNotifier
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade
from bot.storage.repository import SqlStore
from bot.web.app import build_web_app
from vault.accounts import VaultAccounts
from vault.client import connect
from vault.setup import (
    InitReport,
    generate_secret_id,
    initialize,
    read_role_id,
    write_secret_file,
)


def build_store(settings: Settings) -> SqlStore:
    """A store on the configured database (the schema must be upgraded already)."""
    return SqlStore(engine=make_engine(settings.database_url))


def build_vault(settings: Settings) -> VaultAccounts:
    """Vault access with the bot's own credentials (AppRole or token)."""
    client = connect(
        settings.vault_addr,
        token=settings.vault_token,
        role_id=settings.vault_role_id,
        secret_id=settings.vault_secret_id,
    )
    return VaultAccounts(
        client=client,
        token_ttl=settings.token_ttl,
        token_max_ttl=settings.token_max_ttl,
        bound_cidrs=list(settings.bound_cidrs) or None,
    )


def build_policy(settings: Settings) -> Policy:
    """The lifecycle rules from settings."""
    return Policy(
        public_url=settings.public_url,
        link_ttl=settings.link_ttl,
        roles=frozenset(settings.roles),
        max_totp_failures=settings.max_totp_failures,
    )


def build_core(
    settings: Settings, *, notifier: Notifier | None = None, clock: Clock | None = None
) -> Core:
    """The core on real backends; ``notifier`` defaults to logging (no Slack)."""
    return Core(
        store=build_store(settings),
        vault=build_vault(settings),
        clock=clock or SystemClock(),
        notifier=notifier or LogNotifier(),
        policy=build_policy(settings),
    )


def build_server(settings: Settings) -> Starlette:
    """The ASGI app ``credbot serve`` runs, on real backends."""
    core = build_core(settings)
    https = settings.public_url.startswith("https://")
    return build_web_app(core=core, https=https)


def upgrade_database(settings: Settings) -> str:
    """Bring the schema to the newest migration; return the revision now in place."""
    return upgrade(settings.database_url)


def init_vault(settings: Settings) -> tuple[InitReport, str]:
    """Run the idempotent Vault set-up with the admin token in ``VAULT_TOKEN``; return the
    report and the bot's AppRole role ID."""
    client = connect(settings.vault_addr, token=settings.vault_token)
    report = initialize(client, roles=tuple(settings.roles))
    return report, read_role_id(client)


def write_secret_id(settings: Settings, path: Path) -> None:
    """Generate a new AppRole secret ID for the bot and write it to ``path`` (mode 0600,
    never overwriting), so it never passes through a terminal or a log."""
    client = connect(settings.vault_addr, token=settings.vault_token)
    secret_id, _ = generate_secret_id(client)
    write_secret_file(path, secret_id)
