"""Approve / Reject: four eyes, idempotent, race-proof; the card shows who decided."""

from __future__ import annotations

import threading

import pytest

from bot.core.states import State
from bot.dev.slack_requests import view_submission
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


def test_reject_asks_why_updates_the_card_and_tells_the_requester(
    slack_world: SlackWorld,
) -> None:
    slack_world.onboard()
    answer = slack_world.reject(user=APPROVER, reason="no budget for a second reviewer")
    assert answer.status == 200 and answer.body in (b"", b"{}")
    slack_world.wait_state("rejected")
    update = str(slack_world.card_update().args["blocks"])
    assert f"*Rejected* by <@{APPROVER}>" in update
    assert "Reason: no budget for a second reviewer" in update
    slack_world.standin.wait_for(
        lambda _: any(
            "was rejected. no budget for a second reviewer" in m["text"]
            for m in slack_world.dms_to(MANAGER)
        )
    )
    audited = list(slack_world.core.store.audit_events())[-1].entry
    assert (audited.action, audited.reason) == ("rejected", "no budget for a second reviewer")
    _, response_url = slack_world.click(blocks.APPROVE, user=APPROVER2)
    assert "it is rejected" in slack_world.response(response_url)["text"]
    assert _link_dms(slack_world) == []


@pytest.mark.both_databases  # a race: each database decides it
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
    # Both clicks are done once the winner's card says the link went out (its second update,
    # after the DM) and the loser was told; a second approval would come before that.
    slack_world.card_update(2, card=card)
    slack_world.standin.wait_for(
        lambda calls: any("already decided" in str(c.args.get("text")) for c in calls), timeout=15
    )
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


@pytest.mark.parametrize("reason", ["   ", "x" * 301])
def test_a_rejection_without_a_short_reason_is_refused_inline(
    slack_world: SlackWorld, reason: str
) -> None:
    slack_world.onboard()
    before = slack_world.audit_count()
    answer = slack_world.reject(user=APPROVER, reason=reason)
    assert "say why in 1-300 characters" in answer.json()["errors"]["reason"]
    assert slack_world.audit_count() == before
    assert slack_world.contractor().state is State.AWAITING_APPROVAL  # type: ignore[union-attr]


def test_a_rejection_form_submitted_after_the_decision_changes_nothing(
    slack_world: SlackWorld,
) -> None:
    slack_world.onboard()
    card = slack_world.card()
    slack_world.click(blocks.REJECT, user=APPROVER2, card=card)
    form = slack_world.standin.wait_for_call("views.open", count=2, timeout=15).args["view"]
    slack_world.click(blocks.APPROVE, user=APPROVER, card=card)
    slack_world.wait_state("issued")
    before = slack_world.audit_count()
    late = slack_world.slack.interact(
        view_submission(
            user_id=APPROVER2,
            callback_id=blocks.REJECT_VIEW,
            private_metadata=str(form["private_metadata"]),
            values={"reason": {"type": "plain_text_input", "value": "too late"}},
        )
    )
    assert f"already decided by <@{APPROVER}>" in late.json()["errors"]["reason"]
    assert slack_world.audit_count() == before
