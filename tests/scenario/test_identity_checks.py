"""Identity checks through Slack: each failing check's reason reaches the manager, the
approvers' card and the audit trail; an approver's ID attestation is what lets a request reach
approval, and nobody else's; a Slack outage never lets a check pass."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.states import State
from bot.slack import blocks
from tests.support.slack import (
    APPROVAL_CHANNEL,
    APPROVER,
    CONTRACTOR,
    MANAGER,
    MANAGER2,
    MANAGER_APPROVER,
    OUTSIDER,
    SlackWorld,
)

NEWCOMER = "UNEWCOMER1"


def _failed_checks(world: SlackWorld, slack_user: str) -> list[str]:
    record = world.contractor(slack_user)
    assert record is not None
    return [r.check for r in world.core.store.check_results(record.id) if r.outcome == "fail"]


@pytest.mark.parametrize(
    ("user", "fields", "check", "reason"),
    [
        ({}, {"country": "BR"}, "work_country", "BR (Brazil) is not in CREDBOT_ALLOWED_COUNTRIES"),
        (
            {"email": "ana@elsewhere.example"},
            {},
            "email_domain",
            "elsewhere.example is not in CREDBOT_ALLOWED_EMAIL_DOMAINS (agency.example)",
        ),
        (
            {"email_confirmed": False},
            {},
            "slack_account",
            "Slack has not confirmed the account's email",
        ),
        (
            {"guest": "single_channel"},
            {},
            "slack_account",
            "the account is a single-channel guest, which CREDBOT_ALLOWED_ACCOUNT_TYPES",
        ),
    ],
)
def test_a_failing_check_rejects_with_its_reason_everywhere(
    slack_world: SlackWorld,
    user: dict[str, object],
    fields: dict[str, Any],
    check: str,
    reason: str,
) -> None:
    user = dict(user)
    email = str(user.pop("email", "new@agency.example"))
    slack_world.standin.add_user(NEWCOMER, name="New Comer", email=email, **user)  # type: ignore[arg-type]
    reply = slack_world.onboard(NEWCOMER, **fields)
    assert "was rejected by the identity checks" in reply
    assert f"{check}: *FAILED*: {reason}" in reply
    assert slack_world.contractor(NEWCOMER).state is State.REJECTED  # type: ignore[union-attr]
    assert _failed_checks(slack_world, NEWCOMER) == [check]
    card = slack_world.standin.wait_for_call("chat.postMessage", channel=APPROVAL_CHANNEL)
    assert reason in str(card.args["blocks"]) and "Rejected by the identity checks" in str(
        card.args["blocks"]
    )
    assert blocks.APPROVE not in str(card.args["blocks"])
    audited = [e.entry for e in slack_world.core.store.audit_events()]
    assert audited[-1].action == "checks_failed"
    assert audited[-1].reason.startswith(f"{check}: {reason}")
    assert slack_world.standin.calls("views.open") == []


def test_the_verification_card_shows_the_checks_and_waits_for_an_id_check(
    slack_world: SlackWorld,
) -> None:
    reply = slack_world.onboard(attest=False)
    assert "kyc_attestation: *waiting*" in reply
    assert f"`/contractor recheck <@{CONTRACTOR}>`" in reply
    card = str(slack_world.verification_card().args["blocks"])
    for passed in ("requester_role", "slack_account", "email_domain", "work_country", "uniqueness"):
        assert f"{passed}: *passed*" in card
    assert "an approver must check" in card.lower()
    assert slack_world.contractor().state is State.VERIFYING  # type: ignore[union-attr]


def test_an_attestation_moves_the_request_to_approval(slack_world: SlackWorld) -> None:
    slack_world.onboard(attest=False)
    verification = slack_world.verification_card()
    answer = slack_world.attest(verification, user=APPROVER, note="INC-4711")
    assert answer.status == 200 and answer.body in (b"", b"{}")
    approval = str(slack_world.card().args["blocks"])
    assert f"Passport checked by <@{APPROVER}>" in approval
    assert "kyc_attestation: *passed*" in approval
    updated = slack_world.card_update(card=verification)
    assert f"Passport checked by <@{APPROVER}>" in str(updated.args["blocks"])
    assert "actions" not in [b["type"] for b in updated.args["blocks"]]
    told = slack_world.standin.wait_for_call("chat.postMessage", channel=MANAGER)
    assert "passed the identity checks and went to the approvers" in told.args["text"]
    [attested] = slack_world.core.store.verifications(slack_world.contractor().id)  # type: ignore[union-attr]
    assert (attested.verified_by, attested.document_type, attested.external_reference) == (
        APPROVER,
        "passport",
        "INC-4711",
    )


def test_the_requester_cannot_attest_even_as_an_approver(slack_world: SlackWorld) -> None:
    slack_world.onboard(user=MANAGER_APPROVER, attest=False)
    card = slack_world.verification_card()
    reply, url = slack_world.click(blocks.ATTEST, user=MANAGER_APPROVER, card=card)
    assert reply.status == 200
    assert "the requester and the contractor cannot attest" in slack_world.response(url)["text"]
    form = blocks.attestation_modal(slack_world.contractor(), card="C:1")  # type: ignore[arg-type]
    before = slack_world.audit_count()
    answer = slack_world.submit_attestation(form, user=MANAGER_APPROVER, document_type="passport")
    assert "the person who asked cannot attest" in answer.json()["errors"]["document_type"]
    assert slack_world.audit_count() == before
    assert slack_world.core.store.verifications(slack_world.contractor().id) == []  # type: ignore[union-attr]


@pytest.mark.parametrize("who", [CONTRACTOR, OUTSIDER])
def test_only_approvers_can_attest(slack_world: SlackWorld, who: str) -> None:
    slack_world.onboard(attest=False)
    _, url = slack_world.click(blocks.ATTEST, user=who, card=slack_world.verification_card())
    assert "only approvers" in slack_world.response(url)["text"].lower()
    form = blocks.attestation_modal(slack_world.contractor(), card="C:1")  # type: ignore[arg-type]
    answer = slack_world.submit_attestation(form, user=who, document_type="passport")
    assert "approvers" in answer.json()["errors"]["document_type"]
    assert slack_world.core.store.verifications(slack_world.contractor().id) == []  # type: ignore[union-attr]


def test_a_note_that_looks_like_a_document_number_is_refused_inline(
    slack_world: SlackWorld,
) -> None:
    slack_world.onboard(attest=False)
    answer = slack_world.attest(
        slack_world.verification_card(), user=APPROVER, note="passport no. C01X00T47"
    )
    assert "never the document number" in answer.json()["errors"]["note"]
    assert slack_world.contractor().state is State.VERIFYING  # type: ignore[union-attr]


def test_slack_down_during_the_checks_never_passes_and_recheck_resumes(
    slack_world: SlackWorld,
) -> None:
    slack_world.onboard(attest=False)
    slack_world.standin.fail("users.info", "fatal_error")
    reply = slack_world.command_reply(f"recheck <@{CONTRACTOR}>")
    assert "slack_account: *waiting*: Slack did not answer users.info (fatal_error)" in reply
    slack_world.standin.fail("users.info", "fatal_error")
    slack_world.attest(slack_world.verification_card(), user=APPROVER)
    told = slack_world.standin.wait_for_call("chat.postMessage", channel=MANAGER)
    assert "slack_account: *waiting*" in told.args["text"]
    assert slack_world.contractor().state is State.VERIFYING  # type: ignore[union-attr]
    reply = slack_world.command_reply(f"recheck <@{CONTRACTOR}>")
    assert "passed the identity checks and went to the approvers" in reply
    assert "kyc_attestation: *passed*" in str(slack_world.card().args["blocks"])


def test_recheck_posts_the_id_check_card_again_while_the_request_waits_for_one(
    slack_world: SlackWorld,
) -> None:
    """A card lost with a replica that died after the checks is not the end of a request."""
    slack_world.onboard(attest=False)
    first = slack_world.verification_card()
    reply = slack_world.command_reply(f"recheck <@{CONTRACTOR}>")
    assert "kyc_attestation: *waiting*" in reply
    cards = [
        c
        for c in slack_world.standin.calls("chat.postMessage")
        if c.args.get("channel") == APPROVAL_CHANNEL and blocks.ATTEST in str(c.args["blocks"])
    ]
    assert len(cards) == 2 and cards[0] is not cards[1] and cards[0].args == first.args
    slack_world.attest(cards[1])
    slack_world.wait_state("awaiting_approval")


def test_recheck_while_awaiting_approval_posts_the_card_again_and_changes_nothing(
    slack_world: SlackWorld,
) -> None:
    slack_world.onboard()
    before = slack_world.audit_count()
    reply = slack_world.command_reply(f"recheck <@{CONTRACTOR}>")
    assert "awaits approval; its approval card was posted again" in reply
    assert slack_world.card(2).args["blocks"] == slack_world.card(1).args["blocks"]
    assert slack_world.audit_count() == before
    assert slack_world.contractor().state is State.AWAITING_APPROVAL  # type: ignore[union-attr]


def test_recheck_of_a_decided_request_changes_nothing(slack_world: SlackWorld) -> None:
    slack_world.onboard()
    slack_world.reject(user=APPROVER, reason="not needed after all")
    slack_world.wait_state("rejected")
    before = slack_world.audit_count()
    reply = slack_world.command_reply(f"recheck <@{CONTRACTOR}>")
    assert "Nothing to recheck" in reply and "rejected" in reply
    assert slack_world.audit_count() == before


def test_only_the_manager_who_asked_or_an_admin_can_recheck(slack_world: SlackWorld) -> None:
    slack_world.onboard(attest=False)
    before = slack_world.audit_count()
    outsider = slack_world.command_reply(f"recheck <@{CONTRACTOR}>", user=OUTSIDER)
    assert "only managers or admins can recheck requests" in outsider
    other = slack_world.command_reply(f"recheck <@{CONTRACTOR}>", user=MANAGER2)
    assert "only the manager who asked, or an admin, can recheck" in other
    assert slack_world.audit_count() == before
