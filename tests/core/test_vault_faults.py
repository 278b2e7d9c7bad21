"""Vault outages and tampering: nothing half-made survives, nothing looks revoked too early."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from bot.core import enrolment, issuing, links, revocation
from bot.core.context import Core
from bot.core.errors import IssueFailed, PossibleInterception, RevocationPending
from bot.core.models import Contractor
from bot.core.states import State
from tests.support.contractor import enrol, login, login_fails, token_rejected
from tests.support.core import APPROVER, MANAGER, approved_contractor, link_secret
from tests.support.links import stored_link
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer

Issued = Callable[[], tuple[Contractor, str]]


def test_issue_while_vault_is_sealed_fails_cleanly_and_a_retry_works(
    outage_core: Core, throwaway_openbao: OpenBaoServer, notifier: RecordingNotifier
) -> None:
    core = outage_core
    contractor = approved_contractor(core)
    throwaway_openbao.seal()
    with pytest.raises(IssueFailed) as raised:
        issuing.issue(core, contractor.id, actor=APPROVER)
    assert "sealed" in str(raised.value).lower() or "unavailable" in str(raised.value).lower()
    assert core.store.get_contractor(contractor.id).state is State.APPROVED
    assert notifier.links == []

    throwaway_openbao.unseal()
    result = issuing.issue(core, contractor.id, actor=APPROVER)
    assert result.contractor.state is State.ISSUED
    # The half-made attempt's username is cleaned up by the sweep once Vault is back; the
    # only Vault user that exists is the live one.
    live = [a.username for a in core.store.unrevoked_accounts(contractor.id)]
    assert result.contractor.username in live
    assert list(core.vault.iter_accounts()) == [result.contractor.username]


def test_issue_failing_half_way_leaves_no_vault_user(
    outage_core: Core, throwaway_openbao: OpenBaoServer
) -> None:
    """The KV engine the password is wrapped from is gone, so the user and its entity are
    created and the wrapping fails."""
    core = outage_core
    contractor = approved_contractor(core)
    throwaway_openbao.bao("secrets", "disable", "credbot-pending")
    with pytest.raises(IssueFailed):
        issuing.issue(core, contractor.id, actor=APPROVER)
    assert list(core.vault.iter_accounts()) == []
    assert core.store.unrevoked_accounts(contractor.id) == []
    assert core.store.get_contractor(contractor.id).state is State.APPROVED


def test_revoke_while_vault_is_sealed_stays_revoking_until_finished(
    outage_core: Core, throwaway_openbao: OpenBaoServer
) -> None:
    core = outage_core
    contractor = approved_contractor(core)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    secrets = enrol(core, link_secret(issued.url), issued.code)
    token = login(throwaway_openbao.addr, secrets)

    throwaway_openbao.seal()
    with pytest.raises(RevocationPending):
        revocation.offboard(core, contractor.id, actor=MANAGER, reason="left")
    assert core.store.get_contractor(contractor.id).state is State.REVOKING

    throwaway_openbao.unseal()
    assert not token_rejected(token), "still live: nothing was revoked early"
    done = revocation.offboard(core, contractor.id, actor=MANAGER, reason="left")
    assert done.state is State.REVOKED
    assert token_rejected(token)
    assert login_fails(throwaway_openbao.addr, secrets)


@pytest.mark.parametrize("which", ["password", "mfa_secret"])
def test_wrapping_token_unwrapped_by_someone_else_is_an_interception(
    core: Core, issued: Issued, notifier: RecordingNotifier, openbao: OpenBaoServer, which: str
) -> None:
    contractor, secret = issued()
    link = stored_link(core.store, links.link_hash(secret))
    assert link is not None
    stolen = getattr(links.unseal_delivery(secret, link.sealed_delivery), which)
    openbao.root_client().sys.unwrap(stolen)  # the attacker got there first

    with pytest.raises(PossibleInterception):
        enrolment.reveal(core, secret, notifier.code_for(secret))
    actions = [e.entry.action for e in core.store.audit_events()]
    assert "possible_interception" in actions
    assert contractor.username is not None
    assert len(notifier.alerts) == 1 and contractor.username in notifier.alerts[0]


@pytest.mark.parametrize("which", ["password", "mfa_secret"])
def test_wrapping_token_from_another_path_is_refused(
    core: Core, issued: Issued, notifier: RecordingNotifier, openbao: OpenBaoServer, which: str
) -> None:
    contractor, secret = issued()
    link = stored_link(core.store, links.link_hash(secret))
    assert link is not None
    root = openbao.root_client()
    forged = root.sys.wrap({"password": "attacker-chosen"}, ttl="5m")["wrap_info"]["token"]
    # Someone with database write access swaps in a link holding their own wrapping token.
    core.store.invalidate_links(contractor.id, at=core.clock.now())
    other = links.LinkSecret.generate()
    delivery = replace(links.unseal_delivery(secret, link.sealed_delivery), **{which: forged})
    core.store.add_link(
        replace(
            link,
            link_hash=other.hash,
            sealed_delivery=links.seal_delivery(other.value, delivery),
            confirmation_digest=links.confirmation_digest(other.value, "ABC-DEF"),
        )
    )
    with pytest.raises(PossibleInterception):
        enrolment.reveal(core, other.value, "abc def")
    assert notifier.alerts and "sys/wrapping/wrap" in notifier.alerts[0]
    assert "possible_interception" in [e.entry.action for e in core.store.audit_events()]
