"""Helpers shared by the fault tests: contractors that really hold Vault access, and checks
that prove what Vault still allows."""

from __future__ import annotations

from dataclasses import dataclass

import hvac
import pyotp

from bot.core import enrolment, issuing
from bot.core.context import Core
from bot.core.models import Contractor
from bot.core.states import State
from tests.core import vaultcheck
from tests.support.core import APPROVER, approved_contractor, link_secret


@dataclass(frozen=True)
class Holder:
    """An ``active`` contractor, their credentials and the token they logged in with."""

    contractor: Contractor
    username: str
    password: str
    token: hvac.Client


def active_holder(core: Core, addr: str) -> Holder:
    """Request, approve, issue, reveal, confirm a TOTP code, then log in like the review tool."""
    contractor = approved_contractor(core)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    secret = link_secret(issued.url)
    account = enrolment.reveal(core, secret, issued.code)
    enrolment.confirm_code(core, secret, pyotp.TOTP(account.totp_secret).now())
    token = vaultcheck.login(addr, account.username, account.password)
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE
    return Holder(contractor, account.username, account.password, token)


def access_survives(holder: Holder, addr: str) -> bool:
    """Whether the contractor's old token or a fresh login still gets into Vault."""
    return not vaultcheck.token_rejected(holder.token) or not vaultcheck.login_fails(
        addr, holder.username, holder.password
    )


def state_of(core: Core, holder: Holder) -> State:
    return core.store.get_contractor(holder.contractor.id).state


def assert_no_revoked_contractor_has_access(core: Core, holders: list[Holder], addr: str) -> None:
    """The promise: a contractor is only ever shown ``revoked`` once Vault lets nothing in."""
    for holder in holders:
        if state_of(core, holder) is State.REVOKED:
            assert not access_survives(holder, addr), f"{holder.username} revoked but alive"
