"""Pytest plugin: the real core on a real store (SQLite and PostgreSQL) and a real OpenBao."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

from bot.core import issuing, onboarding
from bot.core.clock import FrozenClock
from bot.core.context import Core, Policy
from bot.core.interfaces import VaultBackend
from bot.core.models import CheckResult, Contractor, Outcome
from bot.core.requests import OnboardingRequest
from bot.core.stores import Store
from tests.support.memory_store import MemoryStore
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer, accounts_for
from vault.anchors import VaultAnchors

MANAGER = "UMANAGER1"
APPROVER = "UAPPROVER1"
PUBLIC_URL = "https://credbot.test"


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


def make_core(
    store: Store, vault: VaultBackend, clock: FrozenClock, notifier: RecordingNotifier
) -> Core:
    return Core(
        store=store,
        vault=vault,
        clock=clock,
        notifier=notifier,
        policy=Policy(public_url=PUBLIC_URL, link_ttl=timedelta(hours=1), max_totp_failures=3),
    )


@pytest.fixture
def outage_core(
    throwaway_openbao: OpenBaoServer,
    store: Store,
    clock: FrozenClock,
    notifier: RecordingNotifier,
) -> Core:
    """A core on its own OpenBao (``throwaway_openbao``), which the test may seal or break."""
    return make_core(store, accounts_for(throwaway_openbao), clock, notifier)


@pytest.fixture
def anchored_core(
    throwaway_openbao: OpenBaoServer,
    store: Store,
    clock: FrozenClock,
    notifier: RecordingNotifier,
) -> Core:
    """A core on its own OpenBao (``throwaway_openbao``) that anchors its audit chain there, as
    ``credbot`` does: the anchor is one per Vault, so tests of it never share a server."""
    core = make_core(store, accounts_for(throwaway_openbao), clock, notifier)
    return replace(core, anchors=VaultAnchors(client=throwaway_openbao.bot_login()))


@pytest.fixture
def core(
    store: Store,
    vault_accounts: VaultBackend,
    clock: FrozenClock,
    notifier: RecordingNotifier,
) -> Core:
    return make_core(store, vault_accounts, clock, notifier)


_counter = iter(range(10**6))


def request_for(slack_user: str | None = None, **changes: Any) -> OnboardingRequest:
    """A valid onboarding request for a new (or the given) contractor; ``changes`` are the
    request's fields that differ."""
    n = next(_counter)
    request = OnboardingRequest(
        slack_user_id=slack_user or f"UCONTR{n:05d}",
        email=f"contractor{n}@agency.example",
        display_name=f"Contractor {n}",
        country="DE",
        end_date=date.today() + timedelta(days=90),
        role="reviewer",
        justification="Q1 review batch",
    )
    return replace(request, **changes)


def approved_contractor(
    core: Core, slack_user: str | None = None, *, end_date: date | None = None
) -> Contractor:
    """Request, verify (no extra checks) and approve a new contractor (whose contract ends on
    ``end_date``, by default in 90 days)."""
    changes = {"end_date": end_date} if end_date else {}
    request = request_for(slack_user, **changes)
    contractor = onboarding.request_onboarding(core, request, requester=MANAGER)
    onboarding.verify(core, contractor.id, checks=[])
    return onboarding.approve(core, contractor.id, approver=APPROVER)


class NoVault:
    """Not a fake: any use of it fails the test, proving the step never reaches Vault."""

    def __getattr__(self, name: str) -> NoReturn:
        raise AssertionError(f"this step must not reach Vault (it called {name})")


@pytest.fixture
def memory_core(notifier: RecordingNotifier) -> Core:
    """A core on the in-memory store, a frozen clock and no Vault (the fast layer's core)."""
    return Core(
        store=MemoryStore(),
        vault=NoVault(),
        clock=FrozenClock(datetime.now(UTC)),
        notifier=notifier,
        policy=Policy(public_url=PUBLIC_URL, retention=timedelta(days=180)),
    )


class FixedCheck:
    """An identity check with a set outcome, to drive the pipeline where the checks themselves
    are not under test (``bot.checks`` has the real ones, tested in ``tests/checks``)."""

    def __init__(
        self,
        name: str = "fixed",
        outcome: Outcome = "pass",
        reason: str = "because",
        **evidence: str,
    ) -> None:
        self.name = name
        self._result = CheckResult(check=name, outcome=outcome, reason=reason, evidence=evidence)

    def run(self, contractor: Contractor) -> CheckResult:
        return self._result


def link_secret(url: str) -> str:
    """The secret part of a link: its fragment."""
    return urlsplit(url).fragment


@pytest.fixture
def issued(core: Core, notifier: RecordingNotifier) -> Callable[[], tuple[Contractor, str]]:
    """Factory: a freshly issued contractor and their link secret."""

    def make() -> tuple[Contractor, str]:
        contractor = approved_contractor(core)
        result = issuing.issue(core, contractor.id, actor=APPROVER)
        return result.contractor, link_secret(notifier.last_link)

    return make
