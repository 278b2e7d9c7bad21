"""``offboard-agency`` and ``unblock-agency``: admins cut a whole agency off, or lift its block.

Asking only records the request and posts the card a second admin confirms on
(``bot.slack.agency_card``). Asking again for a domain that is cut off already finishes the
job (contractors an outage left pending, or a request that slipped in), with no second
confirmation: two admins agreed on this domain already.
"""

from __future__ import annotations

from bot.core import agency_cutoff, agency_messages
from bot.core.agencies import CutoffOpen
from bot.core.roles import Role
from bot.core.sweep import SweepOptions
from bot.slack import agency_card
from bot.slack.deps import Deps
from bot.slack.parsing import OffboardAgency, UnblockAgency


def offboard_agency(deps: Deps, user_id: str, command: OffboardAgency) -> str:
    """Ask for a cut-off (the card goes to the audit channel), or finish one in force."""
    deps.require(user_id, Role.ADMIN, action="cut agencies off")
    try:
        cutoff, found = agency_card.ask_second_admin(
            deps.core,
            deps.client,
            channel=deps.audit_channel,
            domain=command.domain,
            actor=user_id,
            reason=command.reason,
        )
    except agency_card.NoAuditChannel:
        return agency_messages.no_audit_channel()
    except agency_card.CardNotPosted as exc:
        return agency_messages.card_not_posted(exc.error)
    except CutoffOpen as exc:
        if exc.cutoff.status != "blocking" or deps.audit_channel is None:
            raise
        receipt = agency_card.carry_out_and_report(
            deps.core,
            deps.client,
            exc.cutoff,
            options=SweepOptions(worker=f"slack:{user_id}"),
            audit_channel=deps.audit_channel,
        )
        return agency_messages.receipt(receipt)
    return agency_messages.requested(cutoff, found, channel=deps.audit_channel or "")


def unblock_agency(deps: Deps, user_id: str, command: UnblockAgency) -> str:
    """Lift a block (one admin; audited)."""
    deps.require(user_id, Role.ADMIN, action="lift agency blocks")
    lifted = agency_cutoff.lift_block(
        deps.core, command.domain, actor=user_id, reason=command.reason
    )
    return agency_messages.lifted(lifted)
