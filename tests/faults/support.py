"""Helpers shared by the fault tests: contractors that really hold Vault access, and checks
that prove what Vault still allows."""

from __future__ import annotations

from dataclasses import dataclass

import hvac

from bot.core import issuing
from bot.core.context import Core
from bot.core.models import Contractor
from bot.core.states import State
from tests.support.contractor import can_log_in, enrol, login, token_rejected
from tests.support.core import APPROVER, approved_contractor, link_secret
from vault.models import AccountSecrets


@dataclass(frozen=True)
class Holder:
    """An ``active`` contractor, what they saved and the token they logged in with."""

    contractor: Contractor
    saved: AccountSecrets
    token: hvac.Client

    @property
    def username(self) -> str:
        """Their Vault username."""
        return self.saved.username


def active_holder(core: Core, addr: str) -> Holder:
    """Request, approve, issue, reveal, prove the first login, then log in like the review
    tool (password and code)."""
    contractor = approved_contractor(core)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    saved = enrol(core, link_secret(issued.url), issued.code)
    token = login(addr, saved)
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE
    return Holder(contractor, saved, token)


def access_survives(holder: Holder, addr: str) -> bool:
    """Whether the contractor's old token or a fresh login still gets into Vault."""
    return not token_rejected(holder.token) or can_log_in(addr, holder.saved)


def state_of(core: Core, holder: Holder) -> State:
    return core.store.get_contractor(holder.contractor.id).state


def assert_no_revoked_contractor_has_access(core: Core, holders: list[Holder], addr: str) -> None:
    """The promise: a contractor is only ever shown ``revoked`` once Vault lets nothing in."""
    for holder in holders:
        if state_of(core, holder) is State.REVOKED:
            assert not access_survives(holder, addr), f"{holder.username} revoked but alive"
