"""What every check module shares: the environment checks are built from, and their shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, Self

from slack_sdk import WebClient

from bot.config import Settings
from bot.core.context import Core
from bot.core.models import CheckResult, Contractor, Outcome
from bot.core.roles import RoleDirectory, RoleLookupFailed


class CheckConfigError(Exception):
    """The settings do not allow a usable set of checks; the message names the setting."""


@dataclass(frozen=True)
class CheckEnvironment:
    """Everything a check may need, handed to ``from_environment``."""

    settings: Settings
    core: Core
    slack: WebClient
    roles: RoleDirectory


class ConfigurableCheck(Protocol):
    """A check class as ``bot.checks`` finds it in a module's ``CHECK``."""

    name: ClassVar[str]
    proves_identity: ClassVar[bool]
    """True for KYC checks: at least one must run (``build_checks`` enforces it)."""

    @classmethod
    def from_environment(cls, env: CheckEnvironment) -> Self:
        """The check configured from settings; ``CheckConfigError`` if they are missing."""
        ...

    def run(self, contractor: Contractor) -> CheckResult:
        """Judge the contractor: ``pass``, ``fail`` or ``pending``, with a reason."""
        ...


def group_not_listed(name: str, error: RoleLookupFailed) -> CheckResult:
    """``pending``: a role's Slack user group could not be listed, so nobody's role is known."""
    return result(
        name, "pending", f"Slack did not list the user group {error.group} ({error.error})"
    )


def result(name: str, outcome: Outcome, reason: str, **evidence: str) -> CheckResult:
    """A ``CheckResult`` with ``evidence`` given as keywords."""
    return CheckResult(check=name, outcome=outcome, reason=reason, evidence=evidence)
