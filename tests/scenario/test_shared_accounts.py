"""Shared-account detection end to end: real logins with password and TOTP code from two
loopback addresses against an OpenBao whose file audit device is on, the reader inside the
running app, the alert in the audit channel, and the admins' buttons as Slack sends them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot import wiring
from bot.core import issuing
from bot.core.clock import SystemClock
from bot.core.context import Core, Policy
from bot.core.sharing import SharedAccounts, SharingRules
from bot.core.stores import Store
from bot.dev.server import BackgroundServer
from bot.dev.slack_requests import SignedSlack, block_action
from bot.dev.slack_standin import Call, SlackStandIn
from bot.slack.app import build_deps, build_slack_app
from bot.slack.sharing_alerts import SlackSharingAlerts
from bot.slack.sharing_card import ITS_FINE, LOCK_NOW
from bot.slack.verification import SeenRequests
from bot.storage.leases import SqlLeases
from bot.storage.sharing import SqlSharing
from bot.vault_audit.file import AuditLogFile
from bot.vault_audit.job import AuditLogReader
from bot.web.app import build_web_app
from tests.support.contractor import enrol, login, token_rejected
from tests.support.core import APPROVER, PUBLIC_URL, approved_contractor, link_secret
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from tests.support.slack import (
    ADMIN,
    AUDIT_CHANNEL,
    OUTSIDER,
    SECRET,
    populate,
    posted_to,
    slack_settings,
)
from vault.accounts import VaultAccounts
from vault.errors import VaultPermissionDenied
from vault.locks import VaultLocks
from vault.models import AccountSecrets
from vault.setup import initialize

ALERT_WITHIN_S = 10.0


@dataclass
class SharingWorld:
    core: Core
    notifier: RecordingNotifier
    standin: SlackStandIn
    slack: SignedSlack
    vault: OpenBaoServer

    def active_contractor(self) -> AccountSecrets:
        """An enrolled contractor's saved credentials (credbot's own first login included)."""
        contractor = approved_contractor(self.core)
        issuing.issue(self.core, contractor.id, actor=APPROVER)
        secret = link_secret(self.notifier.last_link)
        return enrol(self.core, secret, self.notifier.code_for(secret))

    def alert_for(self, username: str, timeout: float = ALERT_WITHIN_S) -> Call:
        def alerts(calls: list[Call]) -> list[Call]:
            return [
                c
                for c in calls
                if c.method == "chat.postMessage"
                and c.args.get("channel") == AUDIT_CHANNEL
                and username in str(c.args.get("text"))
            ]

        self.standin.wait_for(lambda calls: bool(alerts(calls)), timeout=timeout)
        return alerts(self.standin.calls())[0]

    def press(self, action_id: str, alert: Call, *, user: str) -> str:
        """Press a button on the alert; return the response URL it answers on."""
        response_url = self.standin.response_url()
        (flag_id,) = {
            element["value"]
            for block in alert.args["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
        }
        payload: dict[str, Any] = block_action(
            user_id=user,
            action_id=action_id,
            value=flag_id,
            channel=AUDIT_CHANNEL,
            message_ts=str(alert.reply["ts"]),
            response_url=response_url,
        )
        assert self.slack.interact(payload).status == 200
        return response_url

    def card_update(self, alert: Call) -> Call:
        return self.standin.wait_for_call("chat.update", ts=str(alert.reply["ts"]), timeout=15)

    def actions(self) -> list[str]:
        return [event.entry.action for event in self.core.store.audit_events()]


@pytest.fixture
def sharing_world(
    request: pytest.FixtureRequest,
    throwaway_openbao: OpenBaoServer,
    store: Store,
    engine: Engine,
    standin: SlackStandIn,
    seen_requests: SeenRequests,
) -> Iterator[SharingWorld]:
    """The running app with the reader following the server's audit log; the core on the
    system clock, as Vault's entries are (the enrolment login must fall before activation).
    An indirect parameter sets ``CREDBOT_BOUND_CIDRS``, which Vault then enforces too."""
    populate(standin)
    settings = slack_settings(
        standin,
        CREDBOT_AUDIT_LOG=str(throwaway_openbao.audit_log_path),
        CREDBOT_BOUND_CIDRS=getattr(request, "param", ""),
    )
    tokens = wiring.contractor_token_rules(settings)
    initialize(throwaway_openbao.root_client(), tokens=tokens)
    notifier = RecordingNotifier()
    core = Core(
        store=store,
        vault=VaultAccounts(client=throwaway_openbao.bot_login(), tokens=tokens),
        clock=SystemClock(),
        notifier=notifier,
        policy=Policy(public_url=PUBLIC_URL, link_ttl=timedelta(hours=1)),
    )
    client = wiring.build_slack_client(settings)
    rules = SharingRules(window=settings.sharing_window, bound_cidrs=settings.bound_cidrs)
    sharing = SharedAccounts(
        core=core,
        store=SqlSharing(engine=engine),
        locks=VaultLocks(client=throwaway_openbao.bot_login()),
        alerts=SlackSharingAlerts(client=client, audit_channel=AUDIT_CHANNEL, rules=rules),
        rules=rules,
    )
    deps = build_deps(core=core, settings=settings, client=client, leases=SqlLeases(engine=engine))
    deps = replace(deps, sharing=sharing)
    app = build_slack_app(deps, settings=settings)
    reader = AuditLogReader(
        sharing=sharing,
        source=AuditLogFile(throwaway_openbao.audit_log_path),
        leases=SqlLeases(engine=engine),
        holder="replica-1",
    )
    web = build_web_app(
        core=core,
        https=True,
        routes=[wiring.slack_events(settings, app, seen=seen_requests, deps=deps)],
        background=[reader],
    )
    server = BackgroundServer(web).start()
    try:
        yield SharingWorld(
            core, notifier, standin, SignedSlack(server.url, SECRET), throwaway_openbao
        )
    finally:
        server.stop()


def test_two_places_raise_an_alert_and_lock_now_kills_the_live_tokens(
    sharing_world: SharingWorld,
) -> None:
    world = sharing_world
    saved = world.active_contractor()
    here = login(world.vault.addr, saved, source="127.0.0.2")
    there = login(world.vault.addr, saved, source="127.0.0.3")
    started = time.monotonic()

    alert = world.alert_for(saved.username)
    assert time.monotonic() - started < ALERT_WITHIN_S
    text = str(alert.args["blocks"])
    assert "127.0.0.2" in text and "127.0.0.3" in text
    assert "127.0.0.1" not in text  # credbot's own enrolment login is not counted
    assert "UTC" in text  # the times

    # someone who is not an admin is refused, and nothing changes
    refused = posted_to(world.standin, world.press(LOCK_NOW, alert, user=OUTSIDER))
    assert "admins" in refused["text"]
    assert not token_rejected(here)

    world.press(LOCK_NOW, alert, user=ADMIN)
    update = world.card_update(alert)
    assert "Locked" in str(update.args["blocks"])
    assert token_rejected(here) and token_rejected(there)
    with pytest.raises(VaultPermissionDenied):  # the right password, refused
        login(world.vault.addr, saved, source="127.0.0.2")
    assert {"sharing_flagged", "sharing_locked"} <= set(world.actions())
    assert world.actions().count("sharing_flagged") == 1


def test_it_s_fine_closes_the_alert_and_keeps_access(sharing_world: SharingWorld) -> None:
    world = sharing_world
    saved = world.active_contractor()
    here = login(world.vault.addr, saved, source="127.0.0.2")
    login(world.vault.addr, saved, source="127.0.0.3")
    alert = world.alert_for(saved.username)

    world.press(ITS_FINE, alert, user=ADMIN)
    assert "Marked fine" in str(world.card_update(alert).args["blocks"])
    late = posted_to(world.standin, world.press(LOCK_NOW, alert, user=ADMIN))
    assert "already marked fine" in late["text"]
    assert not token_rejected(here)
    assert world.actions().count("sharing_dismissed") == 1
    assert "sharing_locked" not in world.actions()


@pytest.mark.parametrize("sharing_world", ["127.0.0.1/32"], indirect=True)
def test_the_right_password_from_outside_the_bound_cidrs_raises_an_alert(
    sharing_world: SharingWorld,
) -> None:
    world = sharing_world
    saved = world.active_contractor()
    inside = login(world.vault.addr, saved)  # from 127.0.0.1, the review facility
    with pytest.raises(VaultPermissionDenied):  # Vault refuses it, the password was right
        login(world.vault.addr, saved, source="127.0.0.3")

    alert = world.alert_for(saved.username)
    text = str(alert.args["blocks"])
    assert "outside CREDBOT_BOUND_CIDRS" in text
    assert "127.0.0.3" in text and "login refused by Vault" in text
    assert not token_rejected(inside)
