"""Approve / Reject: four eyes, idempotent, race-proof; the card shows who decided."""

from __future__ import annotations

import threading
import time

from bot.core.states import State
from bot.slack import blocks
from tests.support.slack import (
    ADMIN,
    APPROVER,
    APPROVER2,
    CONTRACTOR,
    GROUP_APPROVER,
    MANAGER,
    MANAGER2,
    OUTSIDER,
    SlackWorld,
)


def _link_dms(world: SlackWorld) -> list[dict[str, object]]:
    return world.dms_to(CONTRACTOR)


def test_the_requester_cannot_approve_their_own_request(slack_world: SlackWorld) -> None:
    slack_world.standin.groups["SAPPROVERS"].append(MANAGER)  # a manager who is also approver
    slack_world.onboard()
    before = slack_world.audit_count()
    reply, response_url = slack_world.click(blocks.APPROVE, user=MANAGER)
    assert reply.status == 200
    told = slack_world.response(response_url)
    assert "cannot approve their own request" in told["text"]
    assert told["response_type"] == "ephemeral"
    assert slack_world.audit_count() == before
    assert slack_world.contractor().state is State.AWAITING_APPROVAL  # type: ignore[union-attr]


def test_someone_who_is_not_an_approver_cannot_approve(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    before = slack_world.audit_count()
    _, response_url = slack_world.click(blocks.APPROVE, user=OUTSIDER)
    assert "only approvers can decide" in slack_world.response(response_url)["text"]
    assert slack_world.audit_count() == before


def test_an_approver_through_a_user_group_can_approve(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    slack_world.click(blocks.APPROVE, user=GROUP_APPROVER)
    slack_world.wait_state("issued")
    assert slack_world.standin.calls("usergroups.users.list")


def test_a_second_click_is_told_who_decided_and_changes_nothing(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    slack_world.click(blocks.APPROVE, user=APPROVER)
    slack_world.wait_state("issued")
    slack_world.card_update(count=2)
    before = slack_world.audit_count()
    for action in (blocks.APPROVE, blocks.REJECT):
        _, response_url = slack_world.click(action, user=APPROVER2)
        text = slack_world.response(response_url)["text"]
        assert f"already decided by <@{APPROVER}>" in text
    assert slack_world.audit_count() == before
    assert len(_link_dms(slack_world)) == 1


def test_reject_updates_the_card_and_tells_the_requester(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    slack_world.click(blocks.REJECT, user=APPROVER)
    slack_world.wait_state("rejected")
    update = slack_world.card_update()
    assert f"*Rejected* by <@{APPROVER}>" in str(update.args["blocks"])
    slack_world.standin.wait_for(
        lambda _: any("was rejected" in m["text"] for m in slack_world.dms_to(MANAGER))
    )
    _, response_url = slack_world.click(blocks.APPROVE, user=APPROVER2)
    assert "it is rejected" in slack_world.response(response_url)["text"]
    assert _link_dms(slack_world) == []


def test_two_approvers_clicking_at_once_approve_once(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    card = slack_world.card()
    barrier = threading.Barrier(2)
    urls: list[str] = []

    def click(user: str) -> None:
        barrier.wait()
        reply, url = slack_world.click(blocks.APPROVE, user=user, card=card)
        assert reply.status == 200
        urls.append(url)

    threads = [threading.Thread(target=click, args=(u,)) for u in (APPROVER, APPROVER2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slack_world.wait_state("issued")
    time.sleep(1.0)
    actions = [e.entry.action for e in slack_world.core.store.audit_events()]
    assert actions.count("approved") == 1
    assert actions.count("issued") == 1
    assert len(_link_dms(slack_world)) == 1
    losers = [
        c for c in slack_world.standin.calls("respond") if "already decided" in c.args["text"]
    ]
    assert len(losers) == 1


def test_offboard_revokes_and_reissue_sends_a_new_link(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    slack_world.click(blocks.APPROVE, user=APPROVER)
    slack_world.wait_state("issued")
    assert "Not allowed" in slack_world.command_reply(f"reissue <@{CONTRACTOR}>", user=MANAGER2)
    assert "new link was DMed" in slack_world.command_reply(f"reissue <@{CONTRACTOR}>")
    assert len(_link_dms(slack_world)) == 2
    reply = slack_world.command_reply(f"offboard <@{CONTRACTOR}> contract ended", user=ADMIN)
    assert "every credential is revoked" in reply
    assert slack_world.contractor().state is State.REVOKED  # type: ignore[union-attr]
