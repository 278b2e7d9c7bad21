"""The ack comes well inside Slack's 3 s even when Vault is slow; no command text crashes the
handler or gets a 500."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.interfaces import Leases, VaultBackend
from bot.core.stores import Store
from bot.dev.slack_standin import SlackStandIn
from bot.slack import blocks
from bot.slack.verification import SeenRequests
from tests.support.slack import APPROVER, MANAGER, SlackWorld, make_world

VAULT_DELAY_S = 4.0


class SlowVault:
    """The real Vault backend, but issuing takes longer than Slack's 3 s."""

    def __init__(self, inner: VaultBackend) -> None:
        self._inner = inner

    def issue_account(self, *, username: str, wrap_ttl: timedelta) -> Any:
        time.sleep(VAULT_DELAY_S)
        return self._inner.issue_account(username=username, wrap_ttl=wrap_ttl)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def slow_world(
    store: Store,
    vault_accounts: VaultBackend,
    standin: SlackStandIn,
    seen_requests: SeenRequests,
    leases: Leases,
) -> Iterator[SlackWorld]:
    yield from make_world(store, SlowVault(vault_accounts), standin, seen_requests, leases=leases)


def test_the_approve_click_is_acked_at_once_while_vault_works(slow_world: SlackWorld) -> None:
    slow_world.onboard()
    reply, _ = slow_world.click(blocks.APPROVE, user=APPROVER)
    assert reply.status == 200
    assert reply.elapsed_s < 1.0, reply.elapsed_s
    slow_world.wait_state("issued", timeout=VAULT_DELAY_S + 10)


def test_commands_are_acked_at_once_while_slack_is_slow(slack_world: SlackWorld) -> None:
    slack_world.command_reply("list")  # warm-up: Bolt's one-off auth.test
    slack_world.standin.delay_s = 2.5
    end = (date.today() + timedelta(days=90)).isoformat()
    reply, url = slack_world.command(f"onboard <@UCONTR0001> country=DE end={end}")
    assert reply.status == 200
    assert reply.elapsed_s < 1.0, reply.elapsed_s
    assert "identity checks are waiting" in slack_world.response(url, timeout=30)["text"]


command_words = st.one_of(
    st.sampled_from(
        ["onboard", "offboard", "reissue", "status", "list", "sweep", "help", "dry-run"]
    ),
    st.sampled_from(["<@UCONTR0001>", "<@U1|x>", "<@>", "<@W12|a|b>", "&lt;@U1&gt;", "<!here>"]),
    st.sampled_from(["country=DE", "country=", "end=2030-01-01", "end=9999-99-99", "role=x"]),
    st.text(max_size=30),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(words=st.lists(command_words, max_size=8))
def test_no_command_text_crashes_the_handler(slack_world: SlackWorld, words: list[str]) -> None:
    text = " ".join(words)
    reply, _ = slack_world.command(text, user=MANAGER)
    assert reply.status == 200, (text, reply.status, reply.text)
