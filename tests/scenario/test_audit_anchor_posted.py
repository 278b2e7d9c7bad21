"""Each signed audit anchor reaches the audit channel: a copy outside the database and Vault."""

from __future__ import annotations

import re
from dataclasses import replace

from bot import wiring
from bot.core.anchoring import anchor_chain, anchor_message, parse_anchor
from bot.core.context import Core
from bot.dev.slack_standin import SlackStandIn
from bot.slack.notifier import SlackNotifier
from tests.support.slack import AUDIT_CHANNEL, slack_settings
from tests.support.tamper import grow


def test_the_signed_anchor_is_posted_and_can_be_checked_from_the_post(
    anchored_core: Core, standin: SlackStandIn
) -> None:
    client = wiring.build_slack_client(slack_settings(standin))
    core = replace(
        anchored_core, notifier=SlackNotifier(client=client, audit_channel=AUDIT_CHANNEL)
    )
    grow(core, 3)
    anchor = anchor_chain(core)
    assert anchor is not None

    post = standin.wait_for_call("chat.postMessage", channel=AUDIT_CHANNEL)
    assert post.args["unfurl_links"] is False
    found = re.search(
        r"event #(\d+) \(([^)]+)\): hash `([0-9a-f]+)`, signature `([^`]+)`", post.args["text"]
    )
    assert found is not None
    posted = parse_anchor(
        {"seq": int(found[1]), "signed_at": found[2], "hash": found[3], "signature": found[4]}
    )
    assert posted == anchor
    assert core.anchors is not None
    message = anchor_message(posted.seq, posted.hash, posted.signed_at)
    assert core.anchors.verify(message, posted.signature), "the post alone can be checked"
