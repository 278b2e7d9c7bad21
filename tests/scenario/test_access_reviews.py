"""Access reviews through Slack: the sweep DMs the manager Keep / End buttons, a signed click
answers, and every wrong click is refused to the clicker alone and changes nothing. Real app,
real store, real OpenBao; Slack's Web API on the stand-in; the core's clock is frozen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import hvac
import pytest
from sqlalchemy.engine import Engine

from bot import wiring
from bot.core.context import Core
from bot.core.interfaces import Leases, VaultBackend
from bot.core.reviews import AccessReviews
from bot.core.scheduler import PeriodicSweep
from bot.core.states import State
from bot.core.stores import Store
from bot.core.sweep import SweepOptions, sweep
from bot.dev.slack_requests import block_action
from bot.dev.slack_standin import Call, SlackStandIn
from bot.slack import blocks
from bot.slack.review_blocks import REVIEW_END, REVIEW_KEEP, REVIEW_KEEP_ALL
from bot.slack.verification import SeenRequests
from bot.storage.reviews import SqlReviews
from tests.support.contractor import can_log_in, enrol, login_fails
from tests.support.core import link_secret
from tests.support.openbao import OpenBaoServer
from tests.support.reviews import GRACE
from tests.support.reviews import active as active_contractor
from tests.support.slack import (
    ADMIN,
    APPROVER,
    AUDIT_CHANNEL,
    CONTRACTOR,
    MANAGER,
    MANAGER2,
    SlackWorld,
    card_contractor_id,
    make_world,
    populate,
    slack_settings,
)
from vault.models import AccountSecrets

RUN = SweepOptions(worker="test-sweep")
REVIEW_SETTINGS = {"CREDBOT_ACCESS_REVIEW_INTERVAL": "90d", "CREDBOT_ACCESS_REVIEW_GRACE": "14d"}
SECOND = "UCONTR0002"
LINK = re.compile(r"(https://\S+#\S+)")
CODE = re.compile(r"\*([^*]+)\*")

World = tuple[SlackWorld, AccessReviews]


@pytest.fixture
def review_world(
    store: Store,
    engine: Engine,
    vault_accounts: VaultBackend,
    standin: SlackStandIn,
    seen_requests: SeenRequests,
    leases: Leases,
) -> Iterator[World]:
    """The Slack world with access reviews every 90 days, 14 days to answer."""
    settings = slack_settings(standin, **REVIEW_SETTINGS)
    reviews = wiring.build_reviews(settings, store=SqlReviews(engine=engine))
    assert reviews is not None
    for world in make_world(
        store,
        vault_accounts,
        standin,
        seen_requests,
        leases=leases,
        reviews=reviews,
        overrides=REVIEW_SETTINGS,
    ):
        yield world, reviews


def active(world: SlackWorld, contractor: str = CONTRACTOR) -> AccountSecrets:
    """Onboard ``contractor`` in Slack, approve, and enrol from the link they were DMed."""
    world.onboard(contractor)
    record = world.contractor(contractor)
    assert record is not None
    world.standin.wait_for(lambda calls: approval_card(calls, record.id) is not None, timeout=15)
    card = approval_card(world.standin.calls(), record.id)
    world.click(blocks.APPROVE, user=APPROVER, card=card)
    world.wait_state("issued", contractor)
    world.standin.wait_for(lambda calls: len(world.dms_to(contractor)) >= 1, timeout=15)
    text = str(world.dms_to(contractor)[-1]["text"])
    link, code = LINK.search(text), CODE.search(text)
    assert link and code
    return enrol(world.core, link_secret(link[1]), code[1])


def approval_card(calls: list[Call], contractor_id: str) -> Call | None:
    """The approval card of ``contractor_id`` among ``calls``, once posted."""
    for call in calls:
        is_card = call.method == "chat.postMessage" and blocks.APPROVE in str(
            call.args.get("blocks")
        )
        if is_card and card_contractor_id(call) == contractor_id:
            return call
    return None


def review_messages(world: SlackWorld, channel: str) -> list[dict[str, Any]]:
    return [m for m in world.standin.messages_to(channel) if REVIEW_KEEP in str(m.get("blocks"))]


def buttons(message: dict[str, Any], action_id: str) -> list[str]:
    """The values of ``action_id`` buttons in a review message."""
    return [
        str(element["value"])
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    ]


def click(
    world: SlackWorld,
    action_id: str,
    value: str,
    *,
    user: str,
    channel: str,
    message: dict[str, Any] | None = None,
) -> str:
    """Click a review button (on ``message``, as posted) as Slack posts it; return what the
    clicker is told."""
    response_url = world.standin.response_url()
    payload = block_action(
        user_id=user,
        action_id=action_id,
        value=value,
        channel=channel,
        message_ts="1700000000.000100",
        response_url=response_url,
    )
    if message is not None:
        payload["message"].update(text=message["text"], blocks=message["blocks"])
    assert world.slack.interact(payload).status == 200
    return str(world.response(response_url)["text"])


def state(world: SlackWorld, contractor: str = CONTRACTOR) -> State:
    found = world.contractor(contractor)
    assert found is not None
    return found.state


def test_the_manager_is_dmed_and_end_revokes_in_vault(
    review_world: World, openbao: OpenBaoServer
) -> None:
    world, reviews = review_world
    secrets = active(world)
    sweep(world.core, RUN, reviews=reviews)

    dm = world.standin.dm_channel(MANAGER)
    (message,) = review_messages(world, dm)
    assert "Ana Contractor" in str(message["blocks"]) and message["unfurl_links"] is False
    (review,) = buttons(message, REVIEW_END)

    told = click(world, REVIEW_END, review, user=MANAGER, channel=dm)

    assert "ended" in told and review in told
    assert state(world) is State.REVOKED
    assert login_fails(openbao.addr, secrets)


def test_an_admins_sweep_in_slack_runs_the_reviews_too(review_world: World) -> None:
    """``/contractor sweep`` is the same sweep as ``credbot sweep`` and the scheduled one: a
    review that is due goes out from it."""
    world, _ = review_world
    active(world)
    reply = world.command_reply("sweep", user=ADMIN)
    assert "All done." in reply
    (message,) = review_messages(world, world.standin.dm_channel(MANAGER))
    assert "Ana Contractor" in str(message["blocks"])


def test_wrong_clicks_are_refused_and_change_nothing(
    review_world: World, openbao: OpenBaoServer
) -> None:
    world, reviews = review_world
    secrets = active(world)
    sweep(world.core, RUN, reviews=reviews)
    dm = world.standin.dm_channel(MANAGER)
    (review,) = buttons(review_messages(world, dm)[0], REVIEW_END)
    audit = world.audit_count()

    told = click(world, REVIEW_END, review, user=MANAGER2, channel=dm)
    assert f"Only <@{MANAGER}>" in told and "Nothing was changed" in told
    told = click(world, REVIEW_END, "9-" + "0" * 32, user=MANAGER, channel=dm)
    assert "does not exist" in told
    assert world.audit_count() == audit and state(world) is State.ACTIVE

    message = review_messages(world, dm)[0]
    told = click(world, REVIEW_KEEP, review, user=MANAGER, channel=dm, message=message)
    assert "keeps access" in told
    updated = world.standin.wait_for_call("chat.update", channel=dm, timeout=15).args
    assert buttons(updated, REVIEW_KEEP) == [] and f"Kept by <@{MANAGER}>" in str(updated)
    told = click(world, REVIEW_END, review, user=MANAGER, channel=dm)  # a second answer
    assert "already answered (keep)" in told and "Nothing was changed" in told
    assert state(world) is State.ACTIVE and can_log_in(openbao.addr, secrets)


def test_too_late_is_refused_and_the_lapsed_review_ends_access(
    review_world: World, openbao: OpenBaoServer
) -> None:
    world, reviews = review_world
    secrets = active(world)
    sweep(world.core, RUN, reviews=reviews)
    dm = world.standin.dm_channel(MANAGER)
    (review,) = buttons(review_messages(world, dm)[0], REVIEW_KEEP)

    world.clock.advance(GRACE / 2)
    sweep(world.core, RUN, reviews=reviews)
    assert "Reminder" in str(review_messages(world, dm)[-1]["text"])

    world.clock.advance(GRACE / 2)
    told = click(world, REVIEW_KEEP, review, user=MANAGER, channel=dm)
    assert "Too late" in told and state(world) is State.ACTIVE

    sweep(world.core, RUN, reviews=reviews)
    assert state(world) is State.REVOKED
    assert login_fails(openbao.addr, secrets)


def test_a_manager_who_left_slack_has_the_admins_answer(review_world: World) -> None:
    world, reviews = review_world
    world.standin.add_user(SECOND, name="Bo Contractor", email="bo@agency.example")
    active(world)
    active(world, SECOND)
    world.standin.users[MANAGER]["deleted"] = True

    sweep(world.core, RUN, reviews=reviews)

    assert review_messages(world, world.standin.dm_channel(MANAGER)) == []
    (message,) = review_messages(world, AUDIT_CHANNEL)
    assert f"<@{MANAGER}>, who is no longer a manager" in str(message["text"])
    (keep_all,) = buttons(message, REVIEW_KEEP_ALL)
    told = click(world, REVIEW_KEEP_ALL, keep_all, user=MANAGER, channel=AUDIT_CHANNEL)
    assert "Only the admins" in told

    told = click(world, REVIEW_KEEP_ALL, keep_all, user=ADMIN, channel=AUDIT_CHANNEL)
    assert "Kept 2 contractor(s)" in told
    assert {r.decided_by for r in reviews.store.reviews()} == {ADMIN}


def test_serve_wires_reviews_into_its_scheduled_sweep_and_its_buttons(
    core: Core,
    standin: SlackStandIn,
    database_url: str,
    bot_client: hvac.Client,
) -> None:
    """What ``credbot serve`` builds (``wiring.build_slack``): the scheduled sweep sends the
    reviews, and the buttons' listener answers them, on one ``AccessReviews``."""
    populate(standin)
    env = {**REVIEW_SETTINGS, "CREDBOT_DATABASE_URL": database_url}
    settings = slack_settings(standin, **env)
    database = wiring.open_database(settings)
    parts = wiring.build_slack(settings, database=database, vault_client=bot_client)
    assert parts.reviews is not None and parts.deps.reviews is parts.reviews
    active_contractor(core)

    job = PeriodicSweep(
        core=parts.core,
        options=SweepOptions(worker="replica-0"),
        interval=timedelta(minutes=15),  # run by hand
        leases=database.leases,
        directory=parts.directory,
        reviews=parts.reviews,
    )
    report = job.run_once()

    assert report is not None and report.reviews is not None and report.reviews.sent == 1
    dm = standin.messages_to(standin.dm_channel(MANAGER))
    assert [REVIEW_KEEP in str(m.get("blocks")) for m in dm] == [True]
