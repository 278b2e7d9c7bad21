"""Each shipped check on its own: it passes a good request, and fails (or waits) with a reason
a manager can act on, on the evidence it names. Slack answers come from the stand-in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from bot.checks.email_domain import EmailDomain
from bot.checks.kyc_attestation import KycAttestation
from bot.checks.kyc_webhook import KycWebhook
from bot.checks.requester_role import RequesterRole
from bot.checks.slack_account import SlackAccount
from bot.checks.uniqueness import Uniqueness
from bot.checks.work_country import WorkCountry
from bot.core.context import Core
from bot.core.identity import attest_identity
from bot.core.models import Contractor
from bot.dev.slack_standin import SlackStandIn
from tests.checks.conftest import APPROVER, APPROVER_GROUP, GROUP_APPROVER, EnvFactory
from tests.support.core import MANAGER

Verifying = Callable[..., Contractor]
WEBHOOK_SECRET = "k" * 40


def test_requester_role_passes_a_manager(environment: EnvFactory, verifying: Verifying) -> None:
    found = RequesterRole.from_environment(environment()).run(verifying())
    assert (found.outcome, found.evidence) == ("pass", {"requester": MANAGER})


def test_requester_role_fails_someone_no_longer_a_manager(
    environment: EnvFactory, verifying: Verifying
) -> None:
    contractor = verifying()
    check = RequesterRole.from_environment(environment(CREDBOT_MANAGERS="UOTHERMGR1"))
    found = check.run(contractor)
    assert found.outcome == "fail"
    assert found.reason == f"<@{MANAGER}> is not a manager (CREDBOT_MANAGERS)"


def test_requester_role_fails_a_requester_who_is_the_contractor(
    environment: EnvFactory, verifying: Verifying
) -> None:
    contractor = verifying()
    check = RequesterRole.from_environment(environment())
    found = check.run(_as(contractor, requested_by=contractor.slack_user_id))
    assert (found.outcome, found.reason) == ("fail", "the requester is the contractor")


def test_requester_role_waits_when_a_manager_group_cannot_be_listed(
    environment: EnvFactory, verifying: Verifying, slack: SlackStandIn
) -> None:
    contractor = verifying()
    slack.fail("usergroups.users.list", "missing_scope")
    found = RequesterRole.from_environment(environment(CREDBOT_MANAGERS="SMANAGERS")).run(
        contractor
    )
    assert found.outcome == "pending"
    assert "SMANAGERS" in found.reason and "missing_scope" in found.reason


def test_slack_account_passes_an_active_member_with_a_confirmed_email(
    environment: EnvFactory, verifying: Verifying
) -> None:
    found = SlackAccount.from_environment(environment()).run(verifying())
    assert found.outcome == "pass"
    assert found.evidence == {"account_type": "member"}


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        ({"is_bot": True}, "the account is a bot"),
        ({"deleted": True}, "the account is deactivated"),
        ({"email_confirmed": False}, "Slack has not confirmed the account's email"),
        ({"email": "someone.else@agency.example"}, "the account's email changed since"),
        ({"guest": "single_channel"}, "the account is a single-channel guest, which"),
    ],
)
def test_slack_account_fails_what_cannot_be_a_contractor(
    environment: EnvFactory, verifying: Verifying, user: dict[str, object], reason: str
) -> None:
    found = SlackAccount.from_environment(environment()).run(verifying(**user))
    assert found.outcome == "fail"
    assert found.reason.startswith(reason), found.reason


def test_slack_account_follows_the_account_types_setting(
    environment: EnvFactory, verifying: Verifying
) -> None:
    guest = verifying(guest="multi_channel")
    assert SlackAccount.from_environment(environment()).run(guest).outcome == "pass"
    members_only = SlackAccount.from_environment(
        environment(CREDBOT_ALLOWED_ACCOUNT_TYPES="member")
    )
    found = members_only.run(guest)
    assert found.outcome == "fail"
    assert "multi-channel guest" in found.reason and "(member)" in found.reason


def test_slack_account_fails_an_account_slack_no_longer_knows(
    environment: EnvFactory, verifying: Verifying, slack: SlackStandIn
) -> None:
    contractor = verifying()
    del slack.users[contractor.slack_user_id]
    found = SlackAccount.from_environment(environment()).run(contractor)
    assert (found.outcome, found.reason) == (
        "fail",
        "Slack does not know the account (user_not_found)",
    )


@pytest.mark.parametrize("error", ["fatal_error", "ratelimited"])
def test_slack_account_waits_when_slack_does_not_answer(
    environment: EnvFactory, verifying: Verifying, slack: SlackStandIn, error: str
) -> None:
    contractor = verifying()
    slack.fail("users.info", error, times=10, retry_after=0 if error == "ratelimited" else None)
    found = SlackAccount.from_environment(environment()).run(contractor)
    assert found.outcome == "pending"
    assert found.reason == f"Slack did not answer users.info ({error})"


def test_slack_account_waits_when_slack_cannot_be_reached(
    environment: EnvFactory, verifying: Verifying, slack: SlackStandIn
) -> None:
    contractor = verifying()
    check = SlackAccount.from_environment(environment())
    slack.stop()
    found = check.run(contractor)
    assert found.outcome == "pending"
    assert found.reason.startswith("Slack could not be reached")


def test_email_domain_passes_an_agency_and_fails_any_other_domain(
    environment: EnvFactory, verifying: Verifying
) -> None:
    check = EmailDomain.from_environment(environment())
    assert check.run(verifying()).outcome == "pass"
    other = verifying(request={"email": "ana@mail.agency.example"})
    found = check.run(other)
    assert found.outcome == "fail"
    assert found.reason == (
        "mail.agency.example is not in CREDBOT_ALLOWED_EMAIL_DOMAINS "
        "(agency.example, partner.example)"
    )
    assert found.evidence == {"domain": "mail.agency.example"}


def test_work_country_names_the_country_and_the_policy(
    environment: EnvFactory, verifying: Verifying
) -> None:
    check = WorkCountry.from_environment(environment())
    assert check.run(verifying()).outcome == "pass"
    found = check.run(verifying(request={"country": "BR"}))
    assert found.outcome == "fail"
    assert found.reason == "BR (Brazil) is not in CREDBOT_ALLOWED_COUNTRIES (DE, FR)"


def test_uniqueness_fails_a_second_live_record_for_the_same_email(
    environment: EnvFactory, verifying: Verifying
) -> None:
    first = verifying()
    check = Uniqueness.from_environment(environment())
    assert check.run(first).outcome == "pass"
    twin = _as(first, id="f" * 32, slack_user_id="UOTHERACC1")
    found = check.run(twin)
    assert found.outcome == "fail"
    assert (
        found.reason == f"the same email already has a live record (verifying, request {first.id})"
    )


def test_kyc_attestation_waits_for_an_approver_then_passes(
    core: Core, environment: EnvFactory, verifying: Verifying
) -> None:
    contractor = verifying()
    check = KycAttestation.from_environment(environment())
    assert check.run(contractor).outcome == "pending"
    attest_identity(core, contractor.id, attester=APPROVER, document_type="national_id")
    found = check.run(contractor)
    assert found.outcome == "pass"
    assert found.reason.startswith(f"National identity card checked by <@{APPROVER}> on ")
    assert found.evidence["attested_by"] == APPROVER


def test_kyc_attestation_ignores_an_attester_who_is_no_longer_an_approver(
    core: Core, environment: EnvFactory, verifying: Verifying
) -> None:
    contractor = verifying()
    attest_identity(core, contractor.id, attester=GROUP_APPROVER, document_type="passport")
    assert KycAttestation.from_environment(environment()).run(contractor).outcome == "pass"
    without_group = KycAttestation.from_environment(environment(CREDBOT_APPROVERS=APPROVER))
    assert without_group.run(contractor).outcome == "pending"


def test_kyc_attestation_waits_when_the_approver_group_cannot_be_listed(
    core: Core, environment: EnvFactory, verifying: Verifying, slack: SlackStandIn
) -> None:
    contractor = verifying()
    attest_identity(core, contractor.id, attester=GROUP_APPROVER, document_type="passport")
    slack.fail("usergroups.users.list", "team_access_not_granted")
    found = KycAttestation.from_environment(environment()).run(contractor)
    assert found.outcome == "pending"
    assert APPROVER_GROUP in found.reason


def test_kyc_webhook_creates_one_reference_and_waits_for_it(
    core: Core, environment: EnvFactory, verifying: Verifying
) -> None:
    contractor = verifying()
    check = KycWebhook.from_environment(environment(CREDBOT_KYC_WEBHOOK_SECRET=WEBHOOK_SECRET))
    first, again = check.run(contractor), check.run(contractor)
    assert first.outcome == again.outcome == "pending"
    reference = first.evidence["reference"]
    assert again.evidence["reference"] == reference
    assert reference in first.reason
    started = [e.entry for e in core.store.audit_events()]
    assert [e.action for e in started].count("identity_verification_started") == 1


def _as(contractor: Contractor, **changes: str) -> Contractor:
    return replace(contractor, **changes)  # type: ignore[arg-type]
