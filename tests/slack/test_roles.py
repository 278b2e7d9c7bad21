"""``bot.slack.roles``: user IDs and user groups, groups cached briefly, failures closed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.core.roles import Role, RoleLookupFailed
from bot.dev.slack_standin import SlackStandIn
from bot.slack.roles import RoleMembers, Roles


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    server = SlackStandIn().start()
    server.groups["SAPPROVE"] = ["UGROUPED"]
    yield server
    server.stop()


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_roles(standin: SlackStandIn, clock: Ticker) -> Roles:
    return Roles(
        members=RoleMembers(managers=("UMGR",), approvers=("UAPP", "SAPPROVE"), admins=()),
        client=WebClient(token="xoxb-t", base_url=standin.api_url),
        ttl_s=60,
        clock=clock,
    )


def test_users_and_group_members_hold_roles(standin: SlackStandIn) -> None:
    roles = make_roles(standin, Ticker())
    assert roles.has("UMGR", Role.MANAGER)
    assert not roles.has("UMGR", Role.APPROVER)
    assert roles.has("UGROUPED", Role.APPROVER)
    assert roles.held_by("UAPP") == {Role.APPROVER}


def test_groups_are_cached_for_the_ttl_then_asked_again(standin: SlackStandIn) -> None:
    clock = Ticker()
    roles = make_roles(standin, clock)
    assert roles.has("UGROUPED", Role.APPROVER)
    standin.groups["SAPPROVE"] = []
    clock.now += 59
    assert roles.has("UGROUPED", Role.APPROVER)
    assert len(standin.calls("usergroups.users.list")) == 1
    clock.now += 2
    assert not roles.has("UGROUPED", Role.APPROVER)
    assert len(standin.calls("usergroups.users.list")) == 2


def test_a_group_slack_refuses_grants_nothing(standin: SlackStandIn) -> None:
    standin.fail("usergroups.users.list", "missing_scope")
    roles = make_roles(standin, Ticker())
    assert roles.has("UAPP", Role.APPROVER)  # listed by ID: no lookup needed
    with pytest.raises(RoleLookupFailed) as caught:
        roles.has("UGROUPED", Role.APPROVER)
    assert caught.value.error == "missing_scope"
