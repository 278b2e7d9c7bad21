"""Wording of agency cut-offs, shared by Slack (the command, the card, the receipt) and the CLI.

Every refusal says that nothing was changed; names are shown as Slack mentions when the actor
is a Slack user, as text otherwise (``cli``, a cron job's name).
"""

from __future__ import annotations

import re

from bot.core.agencies import (
    AgencyCutoff,
    AgencyError,
    CutoffDecided,
    CutoffNotFound,
    CutoffOpen,
    DomainBlocked,
    InvalidDomain,
    NoAgencyStore,
    NobodyAtDomain,
    NotBlocked,
    UnknownDomain,
)
from bot.core.agency_cutoff import Preview, Receipt
from bot.core.models import Contractor

COMMAND = "/contractor"
NAMES_SHOWN = 5
"""Names listed in a preview; the count covers the rest."""
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
BAR_WIDTH = 20


def who(actor: str | None) -> str:
    """``<@U…>`` for a Slack user, the name in backticks for anything else."""
    if actor and SLACK_USER.match(actor):
        return f"<@{actor}>"
    return f"`{actor or 'unknown'}`"


def _when(cutoff: AgencyCutoff) -> str:
    at = cutoff.decided_at or cutoff.requested_at
    return f"{at:%Y-%m-%d %H:%M} UTC"


def explain(error: AgencyError) -> str:  # noqa: PLR0911 - one case per refusal
    """The refusal a person sees."""
    match error:
        case InvalidDomain(text=text):
            return (
                f"`{_safe(text)}` is not an email domain: give the part after the @, like "
                "`agency.example`. Nothing was changed."
            )
        case UnknownDomain(domain=domain):
            return (
                f"No contractor has ever had an email at `{domain}`. Check the spelling "
                "(the domain must match exactly). Nothing was changed."
            )
        case NobodyAtDomain(domain=domain, finished=finished):
            return (
                f"Nobody at `{domain}` holds or awaits access ({finished} finished record(s)): "
                "there is nothing to cut off. Nothing was changed."
            )
        case CutoffOpen(cutoff=cutoff) if cutoff.status == "pending":
            return (
                f"A cut-off of `{cutoff.domain}` asked by {who(cutoff.requested_by)} waits for "
                "a second admin on its card in the audit channel. Nothing was changed."
            )
        case CutoffOpen(cutoff=cutoff) | DomainBlocked(cutoff=cutoff):
            return (
                f"`{cutoff.domain}` is cut off since {_when(cutoff)} ({cutoff.reason}; asked "
                f"by {who(cutoff.requested_by)}, confirmed by {who(cutoff.decided_by)}): no "
                "request for it is accepted. An admin can lift the block with "
                f"`{COMMAND} unblock-agency {cutoff.domain} reason`. Nothing was stored."
            )
        case CutoffDecided(cutoff=cutoff):
            return decided(cutoff)
        case CutoffNotFound():
            return "There is no such agency cut-off. Nothing was changed."
        case NotBlocked(domain=domain):
            return f"`{domain}` is not blocked. Nothing was changed."
        case NoAgencyStore():
            return "Agency cut-offs are not available in this credbot process."
    return str(error)


def decided(cutoff: AgencyCutoff) -> str:
    """Why a click on a cut-off's card does nothing: it was decided already."""
    if cutoff.status == "blocking":
        return (
            f"Already confirmed by {who(cutoff.decided_by)} at {_when(cutoff)}: the cut-off of "
            f"`{cutoff.domain}` is under way or done. Nothing more to do."
        )
    if cutoff.status == "lifted":
        return f"The block on `{cutoff.domain}` was lifted by {who(cutoff.lifted_by)}."
    return (
        f"This cut-off of `{cutoff.domain}` was {cutoff.status} by {who(cutoff.decided_by)}. "
        "Nothing was changed."
    )


def preview(found: Preview) -> str:
    """Who a cut-off would affect: counts, then the first few names."""
    people = found.with_access + found.onboarding
    names = ", ".join(_name(c) for c in people[:NAMES_SHOWN])
    more = f" and {len(people) - NAMES_SHOWN} more" if len(people) > NAMES_SHOWN else ""
    return (
        f"{len(people)} contractor(s) at `{found.domain}`: {len(found.with_access)} with "
        f"access would be revoked, {len(found.onboarding)} onboarding request(s) rejected "
        f"({names}{more})."
    )


def requested(cutoff: AgencyCutoff, found: Preview, *, channel: str) -> str:
    """The requester's answer: nothing happened yet, where the second admin confirms."""
    return (
        f"Cut-off of `{cutoff.domain}` requested. {preview(found)} Nothing has changed yet: a "
        f"second admin must confirm on the card in <#{channel}>."
    )


def card(cutoff: AgencyCutoff, found: Preview) -> str:
    """The confirmation card's text."""
    return (
        f":rotating_light: {who(cutoff.requested_by)} asks to cut off the agency "
        f"`{cutoff.domain}`: {_safe(cutoff.reason)}\n{preview(found)}\n"
        "A second admin must confirm (the admin who asked cannot). Then every one of them loses "
        "access at once, and new requests for the domain are refused until an admin lifts the "
        "block."
    )


def progress(cutoff: AgencyCutoff, done: int, total: int) -> str:
    """The card while the revocations run."""
    filled = BAR_WIDTH * done // max(total, 1)
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    return (
        f"Cutting off `{cutoff.domain}` (confirmed by {who(cutoff.decided_by)}): "
        f"`{bar}` {done}/{total}"
    )


def receipt(done: Receipt) -> str:
    """The admins' receipt: how many were revoked with proof, who is still pending, by name."""
    cutoff = done.cutoff
    lines = [
        f":white_check_mark: Agency `{cutoff.domain}` cut off: {_safe(cutoff.reason)} (asked by "
        f"{who(cutoff.requested_by)}, confirmed by {who(cutoff.decided_by)}).",
        f"• {len(done.revoked)} contractor(s) revoked, each with Vault's proof that no user, "
        "entity, MFA secret or live token is left (audit events `revoked`).",
        f"• {len(done.rejected)} onboarding request(s) rejected.",
    ]
    if done.pending:
        pending = "; ".join(f"{_name(c)}: {_safe(why)}" for c, why in done.pending[:40])
        more = f" and {len(done.pending) - 40} more" if len(done.pending) > 40 else ""
        lines.append(
            f"• :warning: {len(done.pending)} still pending: {pending}{more}. They are never "
            f"shown as revoked before Vault confirms; run `{COMMAND} offboard-agency "
            f"{cutoff.domain}` again (or wait for the sweep) to finish."
        )
    else:
        lines.append("• Nobody at the domain holds or awaits access now.")
    lines.append(
        f"New requests for `{cutoff.domain}` are refused until an admin runs "
        f"`{COMMAND} unblock-agency {cutoff.domain} reason`."
    )
    return "\n".join(lines)


def no_audit_channel() -> str:
    """A cut-off was asked for where no audit channel is configured."""
    return (
        "A cut-off needs CREDBOT_AUDIT_CHANNEL: that is where a second admin confirms it. "
        "Nothing was changed."
    )


def card_not_posted(error: str) -> str:
    """Slack refused the confirmation card; the request was withdrawn."""
    return (
        f"The confirmation card could not be posted ({_safe(error)}), so the request was "
        "cancelled and nothing was changed. Check that credbot is in the audit channel, then "
        "ask again."
    )


def cancelled(cutoff: AgencyCutoff) -> str:
    """The card once an admin cancelled the request."""
    return f"Cut-off of `{cutoff.domain}` cancelled by {who(cutoff.decided_by)}. Nothing changed."


def lifted(cutoff: AgencyCutoff) -> str:
    """The answer (and the audit channel's note) when a block ends."""
    return (
        f"The block on `{cutoff.domain}` was lifted by {who(cutoff.lifted_by)}: requests for it "
        "are accepted again (each still passes the checks and an approver)."
    )


def _name(contractor: Contractor) -> str:
    name = _safe(contractor.display_name) or contractor.id
    return f"{name} ({who(contractor.slack_user_id)})"


def _safe(text: str) -> str:
    """User text shown back without markup Slack would act on."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")
