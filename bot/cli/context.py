"""What every ``credbot`` command shares: the exit codes scripts rely on, the settings,
database and core built once on first use (``Context``), and the translation of the typed
errors a command can meet into a message and an exit code (``exits_cleanly``)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime
from typing import NoReturn, ParamSpec, TypeVar

import click

from bot import wiring
from bot.checks import CheckConfigError
from bot.config import Settings, SettingsError, load_settings
from bot.core.context import Core
from bot.core.errors import CredbotError, RevocationPending
from bot.core.health import DatabaseMisconfigured, DatabaseUnavailable, NotReady
from bot.core.messages import explain
from bot.logs import configure_logging
from vault.errors import UnsupportedProxy, VaultError, VaultUnavailable

EXIT_PROBLEM_FOUND = 1
EXIT_SETTINGS = 3
EXIT_UNAVAILABLE = 4
EXIT_REFUSED = 5

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int) -> NoReturn:
    """Say ``message`` on stderr as credbot, and exit with ``code``."""
    click.echo(f"credbot: {message}", err=True)
    sys.exit(code)


def minute(moment: datetime) -> str:
    """``moment`` as the commands show times to a person: ``2026-11-29 17:40 UTC``."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def exits_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the typed errors a command can meet into a message and a documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with wiring.database_answers():
                return command(*args, **kwargs)
        except (
            SettingsError,
            CheckConfigError,
            NotReady,
            DatabaseMisconfigured,
            UnsupportedProxy,
        ) as exc:
            fail(str(exc), EXIT_SETTINGS)
        except VaultUnavailable as exc:
            fail(f"Vault is unavailable: {exc}", EXIT_UNAVAILABLE)
        except DatabaseUnavailable as exc:
            fail(str(exc), EXIT_UNAVAILABLE)
        except RevocationPending as exc:
            fail(explain(exc), EXIT_PROBLEM_FOUND)
        except CredbotError as exc:
            fail(explain(exc), EXIT_REFUSED)
        except VaultError as exc:
            fail(f"Vault refused: {exc}", EXIT_REFUSED)

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
