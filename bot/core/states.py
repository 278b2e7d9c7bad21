"""The contractor lifecycle as an explicit state machine.

Every state change in credbot goes through ``ensure_transition``; the storage layer applies it
with a conditional UPDATE so that a concurrent change makes the second writer fail instead of
silently overwriting the first.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.errors import IllegalTransition


class State(StrEnum):
    """Where a contractor is in the lifecycle (see DESIGN.md)."""

    REQUESTED = "requested"
    VERIFYING = "verifying"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    ISSUED = "issued"
    ACTIVE = "active"
    EXPIRED = "expired"
    LOCKED = "locked"
    REVOKING = "revoking"
    REVOKED = "revoked"
    REJECTED = "rejected"


ALLOWED: dict[State, frozenset[State]] = {
    State.REQUESTED: frozenset({State.VERIFYING, State.REJECTED}),
    State.VERIFYING: frozenset({State.AWAITING_APPROVAL, State.REJECTED}),
    State.AWAITING_APPROVAL: frozenset({State.APPROVED, State.REJECTED}),
    # approved -> revoking covers an issue that failed half-way and is then withdrawn.
    State.APPROVED: frozenset({State.ISSUED, State.REVOKING}),
    # issued -> issued is a reissue: new account, new secrets, new link.
    State.ISSUED: frozenset(
        {State.ACTIVE, State.EXPIRED, State.LOCKED, State.REVOKING, State.ISSUED}
    ),
    State.ACTIVE: frozenset({State.REVOKING, State.ISSUED}),
    State.EXPIRED: frozenset({State.ISSUED, State.REVOKING}),
    State.LOCKED: frozenset({State.ISSUED, State.REVOKING}),
    State.REVOKING: frozenset({State.REVOKED}),
    State.REVOKED: frozenset(),
    State.REJECTED: frozenset(),
}

LIVE_STATES: frozenset[State] = frozenset(
    {
        State.REQUESTED,
        State.VERIFYING,
        State.AWAITING_APPROVAL,
        State.APPROVED,
        State.ISSUED,
        State.ACTIVE,
        State.EXPIRED,
        State.LOCKED,
        State.REVOKING,
    }
)
"""States in which the contractor still counts as one person's one credential (uniqueness)."""

ACCESS_STATES: frozenset[State] = frozenset({State.ISSUED, State.ACTIVE})
"""States in which a Vault account is meant to exist."""

CONTRACT_END_STATES: frozenset[State] = frozenset(
    {State.APPROVED, State.ISSUED, State.ACTIVE, State.EXPIRED, State.LOCKED}
)
"""States from which an ended contract must be offboarded by the sweep (``revoking`` ones are
finished anyway; requests not yet approved are withdrawn by the manager)."""

FINAL_STATES: frozenset[State] = frozenset({State.REVOKED, State.REJECTED})


def ensure_transition(current: State, target: State) -> None:
    """Raise ``IllegalTransition`` unless the lifecycle allows ``current -> target``."""
    if target not in ALLOWED[current]:
        raise IllegalTransition(current=current.value, target=target.value)
