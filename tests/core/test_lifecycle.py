"""The whole lifecycle through the core, on real databases and a real OpenBao."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core import enrolment, issuing, onboarding, revocation
from bot.core.audit import verify_chain
from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.errors import (
    ConfirmationRejected,
    DuplicateContractor,
    EnrolmentLocked,
    IllegalTransition,
    InvalidRequest,
    LinkUnusable,
    NotAllowed,
    PasswordRejected,
    ProofNotBound,
    StaleState,
    TotpRejected,
)
from bot.core.models import Contractor
from bot.core.states import State
from tests.support.contractor import (
    enrol,
    fresh_code,
    login,
    login_fails,
    password_alone_opens_nothing,
    prove,
    token_policies,
    token_rejected,
    wrong_code,
)
from tests.support.core import (
    APPROVER,
    MANAGER,
    approved_contractor,
    link_secret,
    request_for,
)
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer

Issued = Callable[[], tuple[Contractor, str]]


def audit_actions(core: Core, contractor_id: str) -> list[str]:
    events = core.store.audit_events()
    return [e.entry.action for e in events if e.entry.contractor_id == contractor_id]


def test_contractor_goes_from_request_to_revoked(
    core: Core, notifier: RecordingNotifier, openbao: OpenBaoServer
) -> None:
    contractor = onboarding.request_onboarding(core, request_for(), requester=MANAGER)
    assert contractor.state is State.REQUESTED
    contractor, _ = onboarding.verify(core, contractor.id, checks=[])
    assert contractor.state is State.AWAITING_APPROVAL
    contractor = onboarding.approve(core, contractor.id, approver=APPROVER)
    assert (contractor.state, contractor.approved_by) == (State.APPROVED, APPROVER)

    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    assert issued.contractor.state is State.ISSUED
    assert notifier.links == [(contractor.slack_user_id, issued.url)]
    secret = link_secret(issued.url)

    revealed = enrolment.reveal(core, secret, notifier.code_for(secret))
    secrets = revealed.secrets
    assert secrets.username == issued.contractor.username
    assert password_alone_opens_nothing(openbao.addr, secrets)
    pending = login(openbao.addr, secrets)
    assert token_rejected(pending), "a pending account must grant nothing"

    active = prove(core, secret, revealed)
    assert active.state is State.ACTIVE
    assert password_alone_opens_nothing(openbao.addr, secrets), "the code guards every login"
    reviewer = login(openbao.addr, secrets)
    assert token_policies(reviewer) == ["credbot-role-reviewer"]

    revoked = revocation.offboard(core, contractor.id, actor=MANAGER, reason="contract ended")
    assert revoked.state is State.REVOKED
    assert token_rejected(reviewer), "the old token must stop working"
    assert login_fails(openbao.addr, secrets)

    assert audit_actions(core, contractor.id) == [
        "requested",
        "verifying",
        "checks_passed",
        "approved",
        "issued",
        "link_revealed",
        "activated",
        "revocation_started",
        "revoked",
    ]
    assert verify_chain(core.store.audit_events()) == []
    assert notifier.events_for_requester() == ["approved", "issued", "active", "revoked"]


def test_revoking_twice_is_a_success(core: Core, issued: Issued) -> None:
    contractor, _ = issued()
    first = revocation.offboard(core, contractor.id, actor=MANAGER, reason="left")
    second = revocation.offboard(core, contractor.id, actor=MANAGER, reason="left")
    assert first.state is second.state is State.REVOKED
    assert audit_actions(core, contractor.id).count("revoked") == 1


def test_requester_cannot_approve_their_own_request(core: Core) -> None:
    contractor = onboarding.request_onboarding(core, request_for(), requester=MANAGER)
    onboarding.verify(core, contractor.id, checks=[])
    before = len(list(core.store.audit_events()))
    with pytest.raises(NotAllowed):
        onboarding.approve(core, contractor.id, approver=MANAGER)
    with pytest.raises(NotAllowed):
        onboarding.approve(core, contractor.id, approver=contractor.slack_user_id)
    assert core.store.get_contractor(contractor.id).state is State.AWAITING_APPROVAL
    assert len(list(core.store.audit_events())) == before


def test_manager_cannot_request_credentials_for_themselves(core: Core) -> None:
    with pytest.raises(NotAllowed):
        onboarding.request_onboarding(core, request_for(MANAGER), requester=MANAGER)
    assert core.store.list_contractors() == []


def test_invalid_request_stores_nothing(core: Core) -> None:
    with pytest.raises(InvalidRequest):
        onboarding.request_onboarding(core, request_for(country="ZZ"), requester=MANAGER)
    assert core.store.list_contractors() == []
    assert list(core.store.audit_events()) == []


def test_one_person_one_live_credential(core: Core) -> None:
    first = approved_contractor(core)
    with pytest.raises(DuplicateContractor):
        onboarding.request_onboarding(core, request_for(first.slack_user_id), requester=MANAGER)
    assert len(core.store.list_contractors()) == 1
    revocation.offboard(core, first.id, actor=MANAGER, reason="done")
    again = onboarding.request_onboarding(core, request_for(first.slack_user_id), requester=MANAGER)
    assert again.id != first.id


def test_illegal_transition_changes_nothing(core: Core) -> None:
    contractor = onboarding.request_onboarding(core, request_for(), requester=MANAGER)
    onboarding.reject(core, contractor.id, actor=APPROVER, reason="unknown agency")
    before = list(core.store.audit_events())
    with pytest.raises(IllegalTransition):
        onboarding.approve(core, contractor.id, approver=APPROVER)
    with pytest.raises(IllegalTransition):
        issuing.issue(core, contractor.id, actor=APPROVER)
    assert core.store.get_contractor(contractor.id).state is State.REJECTED
    assert list(core.store.audit_events()) == before


@pytest.mark.both_databases  # a race: each database decides it
def test_two_approvers_clicking_at_once_approve_once(core: Core) -> None:
    contractor = onboarding.request_onboarding(core, request_for(), requester=MANAGER)
    onboarding.verify(core, contractor.id, checks=[])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click(approver: str) -> None:
        barrier.wait()
        try:
            onboarding.approve(core, contractor.id, approver=approver)
            outcomes.append("approved")
        except (StaleState, IllegalTransition):
            outcomes.append("refused")

    threads = [threading.Thread(target=click, args=(a,)) for a in ("UAPPROVER1", "UAPPROVER2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "refused"]
    assert audit_actions(core, contractor.id).count("approved") == 1


def test_link_reveals_once(core: Core, issued: Issued, notifier: RecordingNotifier) -> None:
    _, secret = issued()
    enrolment.reveal(core, secret, notifier.code_for(secret))
    with pytest.raises(LinkUnusable) as raised:
        enrolment.reveal(core, secret, notifier.code_for(secret))
    assert raised.value.why == "used"


def test_expired_link_is_refused(
    core: Core, issued: Issued, clock: FrozenClock, notifier: RecordingNotifier
) -> None:
    _, secret = issued()
    clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(LinkUnusable) as raised:
        enrolment.reveal(core, secret, notifier.code_for(secret))
    assert raised.value.why == "expired"


def test_reissue_kills_the_old_password_second_factor_and_link(
    core: Core, issued: Issued, notifier: RecordingNotifier, openbao: OpenBaoServer
) -> None:
    contractor, old_secret = issued()
    old = enrol(core, old_secret, notifier.code_for(old_secret))
    old_token = login(openbao.addr, old)

    again = issuing.issue(core, contractor.id, actor=MANAGER)
    assert again.contractor.state is State.ISSUED
    assert again.contractor.username != old.username
    assert token_rejected(old_token)
    assert login_fails(openbao.addr, old)
    with pytest.raises(LinkUnusable):
        enrolment.reveal(core, old_secret, notifier.code_for(old_secret))
    new_secret = link_secret(notifier.last_link)
    new = enrolment.reveal(core, new_secret, notifier.code_for(new_secret)).secrets
    assert new.password != old.password and new.totp_secret != old.totp_secret
    # The old phone's codes open nothing: the old seed died with the old entity.
    stale = replace(new, password=new.password, totp_secret=old.totp_secret)
    assert login_fails(openbao.addr, stale)


def test_failed_logins_count_down_then_lock(
    core: Core, issued: Issued, notifier: RecordingNotifier, openbao: OpenBaoServer
) -> None:
    contractor, secret = issued()
    revealed = enrolment.reveal(core, secret, notifier.code_for(secret))
    secrets, proof = revealed.secrets, revealed.proof_token
    with pytest.raises(InvalidRequest):
        enrolment.prove_first_login(core, secret, proof, secrets.password, "12ab56")
    with pytest.raises(InvalidRequest):
        enrolment.prove_first_login(core, secret, proof, "  ", fresh_code(secrets.totp_secret))
    with pytest.raises(TotpRejected) as wrong_code_:
        enrolment.prove_first_login(
            core, secret, proof, secrets.password, wrong_code(secrets.totp_secret)
        )
    with pytest.raises(PasswordRejected) as wrong_password:
        enrolment.prove_first_login(
            core, secret, proof, secrets.password + "x", fresh_code(secrets.totp_secret)
        )
    assert [wrong_code_.value.tries_left, wrong_password.value.tries_left] == [2, 1]
    with pytest.raises(EnrolmentLocked):
        enrolment.prove_first_login(
            core, secret, proof, secrets.password, wrong_code(secrets.totp_secret)
        )
    assert core.store.get_contractor(contractor.id).state is State.LOCKED
    assert login_fails(openbao.addr, secrets)
    assert "locked" in notifier.events_for_requester()
    with pytest.raises(LinkUnusable):
        prove(core, secret, revealed)


def test_the_proof_step_belongs_to_the_browser_that_revealed(
    core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    """Someone holding only the link (not the reveal's proof token) can neither try codes nor
    burn the enrolment, however often they try."""
    contractor, secret = issued()
    revealed = enrolment.reveal(core, secret, notifier.code_for(secret))
    real = revealed.proof_token
    almost = real[:-1] + ("A" if real[-1] != "A" else "B")
    for guess in ("", "x" * 43, almost):
        with pytest.raises(ProofNotBound):
            enrolment.prove_first_login(core, secret, guess, revealed.secrets.password, "123456")
    assert core.store.get_contractor(contractor.id).failed_totp_attempts == 0
    assert prove(core, secret, revealed).state is State.ACTIVE


@pytest.mark.both_databases  # a race: each database decides it
def test_concurrent_wrong_codes_are_each_counted(
    core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    contractor, secret = issued()
    revealed = enrolment.reveal(core, secret, notifier.code_for(secret))
    outcomes: list[str] = []

    def try_wrong() -> None:
        try:
            enrolment.prove_first_login(
                core,
                secret,
                revealed.proof_token,
                revealed.secrets.password,
                wrong_code(revealed.secrets.totp_secret),
            )
        except (TotpRejected, EnrolmentLocked) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=try_wrong) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["EnrolmentLocked", "TotpRejected", "TotpRejected"]
    locked = core.store.get_contractor(contractor.id)
    assert (locked.state, locked.failed_totp_attempts) == (State.LOCKED, 3)


def test_wrong_confirmation_code_consumes_nothing(
    core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    _, secret = issued()
    code = notifier.code_for(secret)
    with pytest.raises(ConfirmationRejected) as raised:
        enrolment.reveal(core, secret, "AAA-AAA" if code != "AAA-AAA" else "BBB-BBB")
    assert raised.value.tries_left == 4
    typed = code.lower().replace("-", " ")  # read off a phone, typed loosely
    assert enrolment.reveal(core, secret, typed).secrets.username


def test_too_many_wrong_confirmation_codes_lock_the_link(
    core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    contractor, secret = issued()
    code = notifier.code_for(secret)
    wrong = "AAA-AAA" if code != "AAA-AAA" else "BBB-BBB"
    for _ in range(4):
        with pytest.raises(ConfirmationRejected):
            enrolment.reveal(core, secret, wrong)
    with pytest.raises(LinkUnusable) as raised:
        enrolment.reveal(core, secret, wrong)
    assert raised.value.why == "locked"
    with pytest.raises(LinkUnusable):
        enrolment.reveal(core, secret, code)
    assert "link_locked" in audit_actions(core, contractor.id)
    assert "link locked" in notifier.events_for_requester()
