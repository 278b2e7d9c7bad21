"""The checks run against the real store (SQLite and PostgreSQL) and the recording stand-in of
Slack's Web API, through the same ``WebClient`` (with retries) and ``Roles`` the bot uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot import wiring
from bot.checks import CheckEnvironment
from bot.config import load_settings
from bot.core import onboarding
from bot.core.context import Core
from bot.core.models import Contractor
from bot.dev.slack_standin import SlackStandIn
from bot.slack.roles import RoleMembers, Roles
from tests.support.core import MANAGER, FixedCheck, request_for

APPROVER = "UAPPROVER1"
APPROVER_GROUP = "SAPPROVERS"
GROUP_APPROVER = "UAPPROVER3"
ADMIN = "UADMIN1"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    standin.add_user(MANAGER, email="manager@corp.example")
    standin.groups[APPROVER_GROUP] = [GROUP_APPROVER]
    try:
        yield standin
    finally:
        standin.stop()


EnvFactory = Callable[..., CheckEnvironment]


@pytest.fixture
def environment(core: Core, slack: SlackStandIn) -> EnvFactory:
    """Factory: a ``CheckEnvironment`` from settings ``overrides`` (environment names)."""

    def make(**overrides: str) -> CheckEnvironment:
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_API_URL": slack.api_url,
                "CREDBOT_MANAGERS": MANAGER,
                "CREDBOT_APPROVERS": f"{APPROVER},{APPROVER_GROUP}",
                "CREDBOT_ADMINS": ADMIN,
                "CREDBOT_ALLOWED_COUNTRIES": "DE,FR",
                "CREDBOT_ALLOWED_EMAIL_DOMAINS": "agency.example,partner.example",
                **overrides,
            }
        )
        client = wiring.build_slack_client(settings)
        roles = Roles(
            members=RoleMembers(
                managers=settings.managers, approvers=settings.approvers, admins=settings.admins
            ),
            client=client,
            ttl_s=0,
        )
        return CheckEnvironment(settings=settings, core=core, slack=client, roles=roles)

    return make


@pytest.fixture
def verifying(core: Core, slack: SlackStandIn) -> Callable[..., Contractor]:
    """Factory: a request in ``verifying`` for a new Slack user the stand-in knows
    (``user`` keywords go to ``add_user``, ``request`` keywords to the request)."""

    def make(
        *, requester: str = MANAGER, request: dict[str, Any] | None = None, **user: object
    ) -> Contractor:
        wanted = request_for(**(request or {}))
        slack.add_user(
            wanted.slack_user_id,
            name=wanted.display_name,
            email=str(user.pop("email", wanted.email)),
            **user,  # type: ignore[arg-type]
        )
        contractor = onboarding.request_onboarding(core, wanted, requester=requester)
        checked, _ = onboarding.verify(
            core, contractor.id, checks=[FixedCheck("waiting", "pending", "held for the test")]
        )
        return checked

    return make
