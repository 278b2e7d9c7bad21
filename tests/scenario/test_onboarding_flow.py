"""The main path: a manager asks, an approver approves, the contractor gets the link by DM."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.core.states import State
from bot.slack import blocks
from tests.support.slack import (
    APPROVAL_CHANNEL,
    APPROVER,
    CONTRACTOR,
    MANAGER,
    PUBLIC_URL,
    SlackWorld,
)


def test_inline_onboard_then_approve_delivers_the_link_by_dm_only(
    slack_world: SlackWorld,
) -> None:
    world = slack_world
    reply = world.onboard()
    assert "an approver to confirm they checked an official photo ID" in reply
    contractor = world.contractor()
    assert contractor is not None and contractor.state is State.AWAITING_APPROVAL
    assert contractor.email == "ana@agency.example"  # from users.info, not typed
    assert contractor.display_name == "Ana Contractor"

    card = world.card()
    assert card.args["channel"] == APPROVAL_CHANNEL
    card_text = str(card.args["blocks"])
    for fact in ("ana@agency.example", "DE", "reviewer", f"<@{MANAGER}>", "Q1 review batch"):
        assert fact in card_text

    clicked, _ = world.click(blocks.APPROVE, user=APPROVER)
    assert clicked.status == 200
    world.wait_state("issued")

    dm = world.standin.wait_for_call(
        "chat.postMessage", channel=world.standin.dm_channel(CONTRACTOR)
    )
    assert dm.args["unfurl_links"] is False and dm.args["unfurl_media"] is False
    assert "blocks" not in dm.args and "attachments" not in dm.args
    url = next(word for word in dm.args["text"].split() if word.startswith(PUBLIC_URL))
    fragment = urlsplit(url).fragment
    assert len(fragment) == 43
    # nothing else ever carried the link
    others = [c for c in world.standin.calls() if c is not dm and c != dm]
    assert all(fragment not in str(c.args) for c in others)

    update = world.card_update(count=2)
    assert f"<@{APPROVER}>" in str(update.args["blocks"])
    assert "actions" not in [b["type"] for b in update.args["blocks"]]
    manager_dms = " ".join(m["text"] for m in world.dms_to(MANAGER))
    assert "approved" in manager_dms
