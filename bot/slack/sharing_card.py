"""The shared-account alert: its texts and Block Kit, before and after an admin's answer.

Texts live here, beside the only door that shows them. The card names the account, its
contractor, every source address with its login times, and why it was flagged; "Lock now"
(with Slack's confirmation dialog) and "It's fine" carry the flag's id, nothing else.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.models import Contractor
from bot.core.sharing import OUTSIDE_BOUND_CIDRS, SEVERAL_ADDRESSES, SharingFlag, SharingRules
from bot.slack.blocks import Block, text

LOCK_NOW = "credbot_sharing_lock"
ITS_FINE = "credbot_sharing_fine"

_REASONS = {
    SEVERAL_ADDRESSES: "logged in from {count} source addresses within {window}",
    OUTSIDE_BOUND_CIDRS: "logged in from outside CREDBOT_BOUND_CIDRS",
}


def _time(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC"


def _minutes(rules: SharingRules) -> str:
    return f"{int(rules.window.total_seconds() // 60)} min"


def summary(flag: SharingFlag, contractor: Contractor | None, rules: SharingRules) -> str:
    """One paragraph: which account, whose, what was seen, and the addresses with times."""
    whose = (
        f" of <@{contractor.slack_user_id}> (requested by <@{contractor.requested_by}>)"
        if contractor
        else " (no credbot record: made outside credbot)"
    )
    why = " and ".join(
        _REASONS[reason].format(count=len(flag.addresses), window=_minutes(rules))
        for reason in flag.reasons
        if reason in _REASONS
    )
    lines = [
        f"• `{login.remote_address}` at {_time(login.at)}"
        + (" (password right, login refused by Vault)" if login.refused else "")
        for login in flag.logins
    ]
    return f":rotating_light: *Shared account?* `{flag.username}`{whose} {why}:\n" + "\n".join(
        lines
    )


def alert_card(
    flag: SharingFlag, contractor: Contractor | None, rules: SharingRules
) -> tuple[str, list[Block]]:
    """The alert (``chat.postMessage`` to the audit channel): fallback text and blocks with
    the admins' buttons."""
    blocks = [
        *text(summary(flag, contractor, rules)),
        *text(
            "*Lock now* revokes every token of the account and refuses its logins; the "
            "account and its record stay until you reissue or offboard. *It's fine* closes "
            "this alert; these addresses raise no new alert for this account. Admins only."
        ),
        {
            "type": "actions",
            "block_id": "sharing",
            "elements": [
                {
                    "type": "button",
                    "action_id": LOCK_NOW,
                    "text": {"type": "plain_text", "text": "Lock now"},
                    "style": "danger",
                    "value": flag.id,
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Lock this account?"},
                        "text": {
                            "type": "mrkdwn",
                            "text": f"Every token of `{flag.username}` dies and its logins "
                            "are refused until it is reissued or offboarded.",
                        },
                        "confirm": {"type": "plain_text", "text": "Lock now"},
                        "deny": {"type": "plain_text", "text": "Cancel"},
                    },
                },
                {
                    "type": "button",
                    "action_id": ITS_FINE,
                    "text": {"type": "plain_text", "text": "It's fine"},
                    "value": flag.id,
                },
            ],
        },
    ]
    return f"Shared account? {flag.username}: {', '.join(flag.addresses)}", blocks


def decided_card(
    flag: SharingFlag, contractor: Contractor | None, rules: SharingRules
) -> tuple[str, list[Block]]:
    """The alert after an admin's answer (``chat.update``): no buttons, who, when, what next."""
    when = _time(flag.decided_at) if flag.decided_at else "now"
    if flag.status == "locked":
        person = f"<@{contractor.slack_user_id}>" if contractor else "@person"
        outcome = (
            f":lock: *Locked* by <@{flag.decided_by}> at {when}: every token revoked, logins "
            f"refused, the account kept. Decide next: `/contractor reissue {person}` (new "
            f"credentials) or `/contractor offboard {person}`."
        )
    else:
        outcome = (
            f":white_check_mark: *Marked fine* by <@{flag.decided_by}> at {when}: these "
            "addresses raise no new alert for this account."
        )
    blocks = [*text(summary(flag, contractor, rules)), *text(outcome)]
    return f"{flag.username}: {flag.status} by {flag.decided_by}", blocks


def detection_off() -> str:
    """The answer to a button while this process does not read the audit log."""
    return (
        "Shared-account detection is off on this replica (CREDBOT_AUDIT_LOG is not set); "
        "nothing changed."
    )
