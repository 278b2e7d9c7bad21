"""``/contractor offboard-agency`` through signed Slack requests: an admin asks, a second admin
confirms on the card in the audit channel, the card shows progress and the receipt, and the
agency's people can no longer log in while other agencies' still can; every bad input is
answered and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.core import agency_cutoff, revocation
from bot.core.interfaces import Leases, VaultBackend
from bot.core.stores import Store
from bot.dev.slack_standin import Call, SlackStandIn
from bot.slack.agency_card import CANCEL, CONFIRM
from bot.slack.verification import SeenRequests
from bot.storage.agencies import SqlAgencies
from tests.support.agency import active_at, requested_at
from tests.support.contractor import can_log_in, login_fails
from tests.support.openbao import OpenBaoServer
from tests.support.slack import (
    ADMIN,
    AUDIT_CHANNEL,
    CONTRACTOR,
    MANAGER,
    OUTSIDER,
    SlackWorld,
    make_world,
)

ADMIN2 = "UADMIN2"
RECEIPT = "Agency `agency.example` cut off:"


@pytest.fixture
def world(
    store: Store,
    vault_accounts: VaultBackend,
    standin: SlackStandIn,
    seen_requests: SeenRequests,
    agencies: SqlAgencies,
    leases: Leases,
) -> Iterator[SlackWorld]:
    """The Slack world with two admins."""
    yield from make_world(
        store,
        vault_accounts,
        standin,
        seen_requests,
        agencies,
        leases=leases,
        overrides={"CREDBOT_ADMINS": f"{ADMIN},{ADMIN2}"},
    )


def cutoff_cards(world: SlackWorld) -> list[Call]:
    return [
        c
        for c in world.standin.calls("chat.postMessage")
        if any(
            element.get("action_id") == CONFIRM
            for block in c.args.get("blocks") or []
            for element in block.get("elements") or []
        )
    ]


def click(world: SlackWorld, action: str, *, user: str, card: Call) -> str:
    """Click ``action`` on the cut-off ``card``; return the ephemeral answer, if one comes."""
    reply, response_url = world.click(action, user=user, card=card)
    assert reply.status == 200, reply.text
    return str(world.response(response_url)["text"])


def updates_of(world: SlackWorld, card: Call) -> list[dict[str, Any]]:
    ts = world.posted_ts(card)
    return [c.args for c in world.standin.calls("chat.update") if c.args.get("ts") == ts]


def receipt_posted(world: SlackWorld) -> str:
    """The receipt the admins got in the audit channel."""

    def receipts() -> list[str]:
        texts = (str(m.get("text")) for m in world.standin.messages_to(AUDIT_CHANNEL))
        return [t for t in texts if RECEIPT in t]

    world.standin.wait_for(lambda _: bool(receipts()), timeout=30)
    return receipts()[-1]


def test_two_admins_cut_an_agency_off_in_slack(world: SlackWorld, openbao: OpenBaoServer) -> None:
    core = world.core
    for user, email in (("UANA000001", "ana@agency.example"), ("UOLGA00001", "olga@other.example")):
        world.standin.add_user(user, name=email, email=email)
    _, ana = active_at(core, "ana@agency.example", "UANA000001")
    _, olga = active_at(core, "olga@other.example", "UOLGA00001")
    waiting = requested_at(core, "cai@agency.example")

    asked = world.command_reply(
        "offboard-agency agency.example the agency was breached", user=ADMIN
    )
    assert "Cut-off of `agency.example` requested" in asked
    assert "1 with access would be revoked, 1 onboarding request(s) rejected" in asked
    assert "Ana" in asked and "Cai" in asked
    (card,) = cutoff_cards(world)
    assert card.args["channel"] == AUDIT_CHANNEL and "the agency was breached" in card.args["text"]
    assert can_log_in(openbao.addr, ana), "asking alone changes nothing"

    assert "only admins" in click(world, CONFIRM, user=OUTSIDER, card=card)
    assert "cannot confirm it; a second admin must" in click(world, CONFIRM, user=ADMIN, card=card)
    assert updates_of(world, card) == [], "a refused click leaves the card as it is"

    world.click(CONFIRM, user=ADMIN2, card=card)
    receipt = receipt_posted(world)
    assert "1 contractor(s) revoked, each with Vault's proof" in receipt
    assert "1 onboarding request(s) rejected" in receipt
    assert "Nobody at the domain holds or awaits access now" in receipt
    texts = [str(u["text"]) for u in updates_of(world, card)]
    assert any("Cutting off `agency.example`" in t and "█" in t for t in texts), texts
    assert texts[-1] == receipt

    assert login_fails(openbao.addr, ana)
    assert can_log_in(openbao.addr, olga), "another agency keeps access"
    assert core.store.get_contractor(waiting.id).state.value == "rejected"
    assert "Already confirmed by <@UADMIN2>" in click(world, CONFIRM, user=ADMIN2, card=card)

    refused = world.onboard(CONTRACTOR, user=MANAGER)  # ana@agency.example in Slack
    assert "`agency.example` is cut off" in refused and "Nothing was stored" in refused
    assert world.contractor(CONTRACTOR) is None

    lifted = world.command_reply("unblock-agency agency.example new contract signed", user=ADMIN)
    assert "block on `agency.example` was lifted by <@UADMIN1>" in lifted
    assert "cut off" not in world.onboard(CONTRACTOR, user=MANAGER)
    assert world.contractor(CONTRACTOR) is not None


@pytest.mark.parametrize(
    ("text", "user", "answer"),
    [
        ("offboard-agency agency.example breach", MANAGER, "only admins can cut agencies off"),
        ("offboard-agency nobody.example breach", ADMIN, "No contractor has ever had an email"),
        ("offboard-agency gone.example breach", ADMIN, "Nobody at `gone.example` holds"),
        ("offboard-agency ana@agency.example breach", ADMIN, "is not an email domain"),
        ("offboard-agency evil-agency breach", ADMIN, "is not an email domain"),
        ("unblock-agency agency.example why", ADMIN, "`agency.example` is not blocked"),
        ("unblock-agency agency.example why", MANAGER, "only admins can lift agency blocks"),
    ],
)
def test_bad_input_is_answered_and_changes_nothing(
    world: SlackWorld, text: str, user: str, answer: str
) -> None:
    gone = requested_at(world.core, "gus@gone.example")
    revocation.offboard(world.core, gone.id, actor=ADMIN, reason="not needed")
    requested_at(world.core, "ana@agency.example")
    before = world.audit_count()
    assert answer in world.command_reply(text, user=user)
    assert world.audit_count() == before
    assert cutoff_cards(world) == []


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("offboard-agency agency.example", "give a reason after the domain"),
        ("offboard-agency", "name the agency's email domain"),
        ("unblock-agency agency.example", "give a reason after the domain"),
    ],
)
def test_a_command_missing_its_parts_is_answered_at_once(
    world: SlackWorld, text: str, answer: str
) -> None:
    before = world.audit_count()
    reply, _ = world.command(text, user=ADMIN)
    assert reply.status == 200 and answer in reply.text
    assert world.audit_count() == before


def test_a_cancelled_request_cannot_be_confirmed(world: SlackWorld) -> None:
    requested_at(world.core, "ana@agency.example")
    world.command_reply("offboard-agency agency.example breach", user=ADMIN)
    (card,) = cutoff_cards(world)
    assert "only admins" in click(world, CANCEL, user=OUTSIDER, card=card)
    world.click(CANCEL, user=ADMIN, card=card)
    update = world.standin.wait_for_call("chat.update", ts=world.posted_ts(card), timeout=15)
    assert "cancelled by <@UADMIN1>" in str(update.args["text"])
    before = world.audit_count()
    assert "was cancelled by <@UADMIN1>" in click(world, CONFIRM, user=ADMIN2, card=card)
    assert world.audit_count() == before


def test_asking_twice_while_waiting_changes_nothing(world: SlackWorld) -> None:
    requested_at(world.core, "ana@agency.example")
    world.command_reply("offboard-agency agency.example breach", user=ADMIN)
    before = world.audit_count()
    again = world.command_reply("offboard-agency agency.example breach", user=ADMIN2)
    assert "waits for a second admin" in again
    assert world.audit_count() == before and len(cutoff_cards(world)) == 1


def test_without_an_audit_channel_a_cutoff_is_refused(
    store: Store,
    vault_accounts: VaultBackend,
    standin: SlackStandIn,
    seen_requests: SeenRequests,
    agencies: SqlAgencies,
    leases: Leases,
) -> None:
    for world in make_world(
        store,
        vault_accounts,
        standin,
        seen_requests,
        agencies,
        leases=leases,
        overrides={"CREDBOT_AUDIT_CHANNEL": ""},
    ):
        requested_at(world.core, "ana@agency.example")
        before = world.audit_count()
        reply = world.command_reply("offboard-agency agency.example breach", user=ADMIN)
        assert "needs CREDBOT_AUDIT_CHANNEL" in reply
        assert world.audit_count() == before


def test_asking_again_once_confirmed_finishes_without_a_new_card(
    world: SlackWorld, openbao: OpenBaoServer
) -> None:
    world.standin.add_user("UANA000001", name="Ana", email="ana@agency.example")
    _, ana = active_at(world.core, "ana@agency.example", "UANA000001")
    world.command_reply("offboard-agency agency.example breach", user=ADMIN)
    cutoff = world.core.agencies.open_cutoff("agency.example") if world.core.agencies else None
    assert cutoff is not None
    agency_cutoff.confirm_cutoff(world.core, cutoff.id, actor=ADMIN2)  # its run was lost
    assert can_log_in(openbao.addr, ana)

    finished = world.command_reply("offboard-agency agency.example breach", user=ADMIN2)
    assert "1 contractor(s) revoked, each with Vault's proof" in finished
    assert login_fails(openbao.addr, ana)
    assert len(cutoff_cards(world)) == 1 and receipt_posted(world) == finished
