"""What the enrollment page relies on from the core: asking about a link consumes nothing, and
a Vault outage during the reveal does not burn the link."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.core import enrolment, issuing, links
from bot.core.clock import FrozenClock
from bot.core.context import Core
from bot.core.errors import ConfirmationRejected, InvalidRequest, LinkNotFound, LinkUnusable
from bot.core.models import Contractor
from bot.core.states import State
from tests.support.contractor import prove, prove_while_vault_is_down
from tests.support.core import APPROVER, approved_contractor, link_secret
from tests.support.links import stored_link
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from vault.errors import VaultUnavailable

Issued = Callable[[], tuple[Contractor, str]]


def test_status_follows_the_link_and_consumes_nothing(
    core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    _, secret = issued()
    for _ in range(3):
        assert enrolment.link_status(core, secret) == "ready"
    link = stored_link(core.store, links.link_hash(secret))
    assert link is not None and link.claimed_at is None and link.failed_confirmations == 0

    revealed = enrolment.reveal(core, secret, notifier.code_for(secret))
    assert enrolment.link_status(core, secret) == "revealed"
    prove(core, secret, revealed)
    with pytest.raises(LinkUnusable) as raised:
        enrolment.link_status(core, secret)
    assert raised.value.why == "used"


def test_status_of_unknown_expired_and_locked_links(
    core: Core, issued: Issued, clock: FrozenClock, notifier: RecordingNotifier
) -> None:
    with pytest.raises(LinkNotFound):
        enrolment.link_status(core, links.LinkSecret.generate().value)
    with pytest.raises(LinkNotFound):
        enrolment.link_status(core, "not a link")

    _, locked = issued()
    for _ in range(enrolment.MAX_CONFIRMATION_FAILURES):
        with pytest.raises((ConfirmationRejected, LinkUnusable)):
            enrolment.reveal(core, locked, "ZZZ-ZZZ")
    with pytest.raises(LinkUnusable) as raised:
        enrolment.link_status(core, locked)
    assert raised.value.why == "locked"

    _, expired = issued()
    clock.advance(core.policy.link_ttl)
    with pytest.raises(LinkUnusable) as raised:
        enrolment.link_status(core, expired)
    assert raised.value.why == "expired"


def test_vault_outage_during_reveal_leaves_the_link_usable(
    throwaway_openbao: OpenBaoServer,
    outage_core: Core,
    notifier: RecordingNotifier,
) -> None:
    core = outage_core
    contractor = approved_contractor(core)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    secret = link_secret(issued.url)

    throwaway_openbao.seal()
    with pytest.raises(VaultUnavailable):
        enrolment.reveal(core, secret, issued.code)
    link = stored_link(core.store, links.link_hash(secret))
    assert link is not None and link.claimed_at is None
    assert enrolment.link_status(core, secret) == "ready"

    throwaway_openbao.unseal()
    assert enrolment.reveal(core, secret, issued.code).secrets.username == contractor_username(
        core, contractor
    )
    assert notifier.alerts == []


def test_vault_outage_between_reveal_and_proof_burns_nothing(
    throwaway_openbao: OpenBaoServer,
    outage_core: Core,
    notifier: RecordingNotifier,
) -> None:
    core = outage_core
    contractor = approved_contractor(core)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    secret = link_secret(issued.url)
    revealed = enrolment.reveal(core, secret, issued.code)

    throwaway_openbao.seal()
    for _ in range(core.policy.max_totp_failures + 1):
        with pytest.raises(VaultUnavailable):
            prove_while_vault_is_down(core, secret, revealed)
    waiting = core.store.get_contractor(contractor.id)
    assert (waiting.state, waiting.failed_totp_attempts) == (State.ISSUED, 0)
    assert enrolment.link_status(core, secret) == "revealed"

    throwaway_openbao.unseal()
    assert prove(core, secret, revealed).state is State.ACTIVE


def contractor_username(core: Core, contractor: Contractor) -> str | None:
    return core.store.get_contractor(contractor.id).username


@pytest.mark.parametrize("junk", ["", "   ", "12", "ABCDEFG", "ABC-DE0", "OOO-III", "ÄBC-DEF"])
def test_a_code_that_cannot_be_one_is_refused_without_counting(
    core: Core, issued: Issued, notifier: RecordingNotifier, junk: str
) -> None:
    _, secret = issued()
    for _ in range(enrolment.MAX_CONFIRMATION_FAILURES + 1):
        with pytest.raises(InvalidRequest):
            enrolment.reveal(core, secret, junk)
    link = stored_link(core.store, links.link_hash(secret))
    assert link is not None and link.failed_confirmations == 0
    assert enrolment.reveal(core, secret, notifier.code_for(secret).lower()).secrets.password
