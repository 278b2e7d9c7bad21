"""The pipeline around the checks: which run (settings), how their results are kept and
audited, and the two KYC providers' records. Every refusal changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from bot.checks import CheckConfigError, available_checks, build_checks
from bot.config import DEFAULT_IDENTITY_CHECKS
from bot.core import onboarding
from bot.core.context import Core
from bot.core.errors import (
    DeliveryReplayed,
    IllegalTransition,
    InvalidRequest,
    NotAllowed,
    VerificationDecided,
    VerificationNotFound,
)
from bot.core.identity import ServiceResult, attest_identity, new_reference, record_service_result
from bot.core.models import CheckResult, Contractor
from bot.core.states import State
from tests.checks.conftest import APPROVER, EnvFactory
from tests.checks.test_checks import WEBHOOK_SECRET
from tests.support.core import MANAGER, FixedCheck

Verifying = Callable[..., Contractor]


class Crashing:
    name = "crashing"

    def run(self, contractor: Contractor) -> CheckResult:
        raise ConnectionResetError("peer went away")


def _audit(core: Core) -> list[tuple[str, str]]:
    return [(e.entry.action, e.entry.reason) for e in core.store.audit_events()]


def test_every_shipped_check_is_found_by_name() -> None:
    assert set(available_checks()) == {*DEFAULT_IDENTITY_CHECKS, "kyc_webhook"}


def test_the_default_checks_are_built_in_order(environment: EnvFactory) -> None:
    checks = build_checks(environment().settings.identity_checks, environment())
    assert tuple(c.name for c in checks) == DEFAULT_IDENTITY_CHECKS
    assert DEFAULT_IDENTITY_CHECKS[-1] == "kyc_attestation"


@pytest.mark.parametrize(
    ("names", "overrides", "message"),
    [
        (["kyc_attestation", "fingerprint"], {}, "unknown checks fingerprint (known:"),
        (["kyc_attestation", "kyc_attestation"], {}, "a check is listed twice"),
        (["email_domain", "work_country"], {}, "include one of kyc_attestation, kyc_webhook"),
        (
            ["kyc_attestation", "email_domain"],
            {"CREDBOT_ALLOWED_EMAIL_DOMAINS": ""},
            "CREDBOT_ALLOWED_EMAIL_DOMAINS is empty",
        ),
        (
            ["kyc_attestation", "work_country"],
            {"CREDBOT_ALLOWED_COUNTRIES": ""},
            "CREDBOT_ALLOWED_COUNTRIES is empty",
        ),
        (["kyc_webhook"], {}, "CREDBOT_KYC_WEBHOOK_SECRET is not set"),
    ],
)
def test_a_set_of_checks_that_cannot_work_is_refused_at_start(
    environment: EnvFactory, names: list[str], overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(CheckConfigError, match=re.escape(message)):
        build_checks(names, environment(**overrides))


def test_results_are_stored_with_the_move_and_audited(core: Core, verifying: Verifying) -> None:
    contractor = verifying()
    checks = [FixedCheck("alpha", "pass", "fine"), FixedCheck("beta", "pass", "also fine")]
    checked, _ = onboarding.verify(core, contractor.id, checks=checks)
    assert checked.state is State.AWAITING_APPROVAL
    assert [(r.check, r.outcome) for r in core.store.check_results(contractor.id)] == [
        ("alpha", "pass"),
        ("beta", "pass"),
    ]
    last = list(core.store.audit_events())[-1].entry
    assert last.action == "checks_passed"
    assert [c["reason"] for c in last.details["checks"]] == ["fine", "also fine"]


def test_one_failing_check_rejects_with_its_reason(core: Core, verifying: Verifying) -> None:
    contractor = verifying()
    checks = [FixedCheck("alpha", "pass"), FixedCheck("beta", "fail", "BR is not allowed")]
    checked, _ = onboarding.verify(core, contractor.id, checks=checks)
    assert checked.state is State.REJECTED
    assert _audit(core)[-1] == ("checks_failed", "beta: BR is not allowed")


def test_a_pending_check_waits_and_a_rerun_replaces_the_results(
    core: Core, verifying: Verifying
) -> None:
    contractor = verifying()
    checked, _ = onboarding.verify(core, contractor.id, checks=[FixedCheck("alpha", "pending")])
    assert checked.state is State.VERIFYING
    assert _audit(core)[-1][0] == "checks_pending"
    onboarding.verify(core, contractor.id, checks=[FixedCheck("alpha", "pass")])
    assert [r.outcome for r in core.store.check_results(contractor.id)] == ["pass"]


def test_a_crashing_check_is_pending_never_passed(core: Core, verifying: Verifying) -> None:
    contractor = verifying()
    checked, results = onboarding.verify(core, contractor.id, checks=[Crashing()])
    assert checked.state is State.VERIFYING
    assert results[0].outcome == "pending"
    assert results[0].reason == (
        "the check could not run (ConnectionResetError); nothing was decided"
    )


def test_checks_do_not_run_on_a_decided_request(core: Core, verifying: Verifying) -> None:
    contractor = verifying()
    onboarding.reject(core, contractor.id, actor=MANAGER, reason="withdrawn")
    before = _audit(core)
    with pytest.raises(IllegalTransition):
        onboarding.verify(core, contractor.id, checks=[FixedCheck("alpha", "pass")])
    assert _audit(core) == before


def test_an_attestation_keeps_who_when_and_the_document_type_only(
    core: Core, verifying: Verifying
) -> None:
    contractor = verifying()
    attested = attest_identity(
        core, contractor.id, attester=APPROVER, document_type="passport", note="INC-4711"
    )
    stored = core.store.verifications(contractor.id)
    assert stored == [attested]
    assert (attested.method, attested.status, attested.verified_by) == (
        "attestation",
        "passed",
        APPROVER,
    )
    assert (attested.document_type, attested.external_reference) == ("passport", "INC-4711")
    assert _audit(core)[-1] == ("identity_attested", "")


@pytest.mark.parametrize(
    ("who", "changes", "error", "message"),
    [
        ("requester", {}, NotAllowed, "the person who asked cannot attest"),
        ("contractor", {}, NotAllowed, "contractors cannot attest their own identity"),
        ("approver", {"document_type": "selfie"}, InvalidRequest, "unknown document 'selfie'"),
        ("approver", {"note": "L01X00T47 / DE"}, InvalidRequest, "never the document number"),
        ("approver", {"note": "x" * 65}, InvalidRequest, "never the document number"),
    ],
)
def test_a_bad_attestation_is_refused_and_changes_nothing(
    core: Core,
    verifying: Verifying,
    who: str,
    changes: dict[str, str],
    error: type[Exception],
    message: str,
) -> None:
    contractor = verifying()
    attester = {
        "requester": contractor.requested_by,
        "contractor": contractor.slack_user_id,
        "approver": APPROVER,
    }[who]
    fields = {"document_type": "passport", "note": "", **changes}
    before = _audit(core)
    with pytest.raises(error, match=message):
        attest_identity(core, contractor.id, attester=attester, **fields)
    assert core.store.verifications(contractor.id) == []
    assert _audit(core) == before


def test_an_attestation_of_a_decided_request_is_refused(core: Core, verifying: Verifying) -> None:
    contractor = verifying()
    onboarding.reject(core, contractor.id, actor=MANAGER, reason="withdrawn")
    with pytest.raises(NotAllowed, match="the request is rejected"):
        attest_identity(core, contractor.id, attester=APPROVER, document_type="passport")
    assert core.store.verifications(contractor.id) == []


def _webhook_reference(core: Core, contractor: Contractor, environment: EnvFactory) -> str:
    [check] = build_checks(["kyc_webhook"], environment(CREDBOT_KYC_WEBHOOK_SECRET=WEBHOOK_SECRET))
    return check.run(contractor).evidence["reference"]


def test_a_service_result_is_recorded_once(
    core: Core, verifying: Verifying, environment: EnvFactory
) -> None:
    contractor = verifying()
    reference = _webhook_reference(core, contractor, environment)
    result = ServiceResult(
        reference=reference, verified=True, service="idcheck", document_type="passport"
    )
    assert record_service_result(core, result, delivery="d1").id == contractor.id
    [stored] = core.store.verifications(contractor.id)
    assert (stored.status, stored.verified_by, stored.document_type) == (
        "passed",
        "idcheck",
        "passport",
    )
    before = _audit(core)
    with pytest.raises(DeliveryReplayed):
        record_service_result(core, result, delivery="d1")
    with pytest.raises(VerificationDecided, match="already decided"):
        record_service_result(
            core,
            ServiceResult(reference=reference, verified=False, service="idcheck"),
            delivery="d2",
        )
    assert core.store.verifications(contractor.id) == [stored]
    assert _audit(core) == before


def test_a_service_result_for_an_unknown_reference_or_a_decided_request_is_refused(
    core: Core, verifying: Verifying, environment: EnvFactory
) -> None:
    contractor = verifying()
    reference = _webhook_reference(core, contractor, environment)
    attestation = attest_identity(core, contractor.id, attester=APPROVER, document_type="passport")
    for unknown in (new_reference(), attestation.reference):
        with pytest.raises(VerificationNotFound):
            record_service_result(
                core, ServiceResult(reference=unknown, verified=True, service="x"), delivery=unknown
            )
    onboarding.reject(core, contractor.id, actor=MANAGER, reason="withdrawn")
    before = _audit(core)
    with pytest.raises(VerificationDecided, match="rejected"):
        record_service_result(
            core, ServiceResult(reference=reference, verified=True, service="x"), delivery="d3"
        )
    assert _audit(core) == before
    assert {v.status for v in core.store.verifications(contractor.id)} == {"pending", "passed"}


def _verified(reference: str) -> ServiceResult:
    return ServiceResult(reference=reference, verified=True, service="idcheck")
