"""``credbot offboard --email-domain`` and ``credbot unblock`` against real OpenBao and the
test database, with Slack on the stand-in: the request posts the card and changes nothing,
the run after a second admin's confirmation revokes exactly the domain's people (progress,
receipt), and bad input exits with a clear message and changes nothing."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.core import agency_cutoff
from bot.core.context import Core
from bot.dev.slack_standin import SlackStandIn
from bot.slack.agency_card import CONFIRM
from bot.storage.agencies import SqlAgencies
from tests.support.agency import active_at, requested_at
from tests.support.cli import run
from tests.support.contractor import can_log_in, login_fails
from tests.support.openbao import OpenBaoServer

ADMIN = "UADMIN1"
ADMIN2 = "UADMIN2"
AUDIT_CHANNEL = "CAUDIT0001"
ASK = ("offboard", "--email-domain", "agency.example", "--reason", "breach", "--actor", ADMIN)


@pytest.fixture
def env(bot_env: dict[str, str], standin: SlackStandIn) -> dict[str, str]:
    return {
        **bot_env,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": standin.api_url,
        "CREDBOT_AUDIT_CHANNEL": AUDIT_CHANNEL,
    }


def audit_count(core: Core) -> int:
    return sum(1 for _ in core.store.audit_events())


def cards(standin: SlackStandIn) -> list[str]:
    return [
        str(m["text"])
        for m in standin.messages_to(AUDIT_CHANNEL)
        if CONFIRM in str(m.get("blocks"))
    ]


def test_ask_then_finish_after_a_second_admin_confirmed(
    env: dict[str, str],
    core: Core,
    agencies: SqlAgencies,
    standin: SlackStandIn,
    openbao: OpenBaoServer,
) -> None:
    _, ana = active_at(core, "ana@agency.example")
    _, olga = active_at(core, "olga@other.example")
    requested_at(core, "cai@agency.example")
    assert run(env, "cutoffs").output == "no open agency cut-offs\n"

    asked = run(env, *ASK)
    assert asked.exit_code == 0, asked.output
    assert "Cut-off of agency.example requested" in asked.output
    assert "1 contractor(s) with access would be revoked, 1 onboarding request(s)" in asked.output
    assert "Ana <ana@agency.example>" in asked.output and "Cai" in asked.output
    assert "a second admin must confirm" in asked.output
    (card,) = cards(standin)
    assert "<@UADMIN1> asks to cut off the agency `agency.example`: breach" in card
    assert can_log_in(openbao.addr, ana), "asking changes nothing"

    again = run(env, *ASK)
    assert again.exit_code == 5 and "waits for a second admin" in again.output
    (pending_line,) = run(env, "cutoffs").output.splitlines()
    assert pending_line.startswith("agency.example  pending   asked by UADMIN1 ")
    assert "awaits a second admin: breach" in pending_line

    pending = agencies.open_cutoff("agency.example")
    assert pending is not None
    agency_cutoff.confirm_cutoff(replace(core, agencies=agencies), pending.id, actor=ADMIN2)

    done = run(env, *ASK)
    assert done.exit_code == 0, done.output
    assert "agency.example cut off: 1 revoked (Vault proved each account gone)" in done.output
    assert "1 onboarding request(s) rejected" in done.output
    assert "Nobody at agency.example holds or awaits access" in done.output
    assert login_fails(openbao.addr, ana)
    assert can_log_in(openbao.addr, olga), "another agency keeps access"
    receipts = [m for m in standin.messages_to(AUDIT_CHANNEL) if "cut off:" in str(m["text"])]
    assert len(receipts) == 1 and "1 contractor(s) revoked" in str(receipts[0]["text"])
    (blocking_line,) = run(env, "cutoffs").output.splitlines()
    assert blocking_line.startswith("agency.example  blocking  asked by UADMIN1 ")
    assert "confirmed by UADMIN2" in blocking_line

    lifted = run(env, "unblock", "--email-domain", "AGENCY.example", "--reason", "renewed")
    assert lifted.exit_code == 0, lifted.output
    assert "agency.example: block lifted" in lifted.output
    twice = run(env, "unblock", "--email-domain", "agency.example", "--reason", "renewed")
    assert twice.exit_code == 5 and "`agency.example` is not blocked" in twice.output
    assert run(env, "cutoffs").output == "no open agency cut-offs\n"
    (lifted_line,) = run(env, "cutoffs", "--all").output.splitlines()
    assert "lifted by cli" in lifted_line and lifted_line.startswith("agency.example  lifted")
    (record,) = map(json.loads, run(env, "cutoffs", "--all", "--json").output.splitlines())
    assert (record["domain"], record["status"], record["decided_by"]) == (
        "agency.example",
        "lifted",
        ADMIN2,
    )


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("offboard", "--email-domain", "agency.example", "--reason", "x"), 2, "Slack user ID"),
        (("offboard", "--reason", "x"), 2, "give --email-domain"),
        (("offboard", "c1", "--email-domain", "agency.example", "--reason", "x"), 2, "name one"),
        (
            ("offboard", "--email-domain", "nobody.example", "--reason", "x", "--actor", ADMIN),
            5,
            "No contractor has ever had an email at `nobody.example`",
        ),
        (
            ("offboard", "--email-domain", "agency", "--reason", "x", "--actor", ADMIN),
            5,
            "is not an email domain",
        ),
        (("unblock", "--email-domain", "agency.example", "--reason", "x"), 5, "is not blocked"),
    ],
)
def test_bad_input_exits_and_changes_nothing(
    env: dict[str, str],
    core: Core,
    standin: SlackStandIn,
    args: tuple[str, ...],
    code: int,
    says: str,
) -> None:
    requested_at(core, "ana@agency.example")
    before = audit_count(core)
    result = run(env, *args)
    assert result.exit_code == code, result.output
    assert says in result.output
    assert audit_count(core) == before and cards(standin) == []


def test_without_slack_a_cutoff_is_refused(bot_env: dict[str, str], core: Core) -> None:
    requested_at(core, "ana@agency.example")
    before = audit_count(core)
    result = run(bot_env, *ASK)
    assert result.exit_code == 3
    assert "set SLACK_BOT_TOKEN and CREDBOT_AUDIT_CHANNEL" in result.output
    assert audit_count(core) == before


def test_a_card_slack_refuses_cancels_the_request(
    env: dict[str, str], core: Core, agencies: SqlAgencies, standin: SlackStandIn
) -> None:
    requested_at(core, "ana@agency.example")
    standin.fail("chat.postMessage", "not_in_channel")
    result = run(env, *ASK)
    assert result.exit_code == 4
    assert "could not be posted: not_in_channel; the request was cancelled" in result.output
    assert agencies.open_cutoff("agency.example") is None
    assert run(env, *ASK).exit_code == 0, "asking again works once Slack takes the card"
