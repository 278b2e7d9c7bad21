"""Block Kit builders: plain functions from domain records to Slack's JSON.

IDs that listeners match on are constants here, so a builder and its listener cannot drift.
Block IDs of the onboarding modal equal the ``field`` names of the core's ``InvalidRequest``,
so a core validation error lands inline under the right input.
No builder ever receives a link or a secret: the link travels in a DM's text only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from bot.core.identity import DOCUMENT_TYPES
from bot.core.models import CheckResult, Contractor
from bot.slack import messages

Block = dict[str, Any]

ONBOARD_VIEW = "credbot_onboard"
APPROVE = "credbot_approve"
REJECT = "credbot_reject"
END_MY_ACCESS = "credbot_end_my_access"
ATTEST = "credbot_attest"
ATTEST_VIEW = "credbot_attest_identity"
ATTEST_FIELDS = ("document_type", "note")
"""Block IDs of the attestation modal (equal to the core's ``InvalidRequest`` fields)."""
REJECT_VIEW = "credbot_reject_reason"
FIELDS = ("contractor", "country", "end", "role", "justification")
"""Block IDs of the onboarding modal (each input's action ID is ``value``)."""


def text(markdown: str) -> list[Block]:
    """One section of mrkdwn (Slack's limit is 3000 characters per text object)."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": markdown[:3000]}}]


def _plain(value: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": value[:150], "emoji": False}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "optional": optional,
        "element": {**element, "action_id": "value"},
    }


def onboarding_modal(roles: Iterable[str], *, today: date) -> dict[str, Any]:
    """The ``/contractor onboard`` form (``views.open``)."""
    role_names = sorted(roles)
    role_element: dict[str, Any] = {
        "type": "static_select",
        "options": [{"text": _plain(role), "value": role} for role in role_names[:100]],
    }
    if len(role_names) == 1:
        role_element["initial_option"] = role_element["options"][0]
    return {
        "type": "modal",
        "callback_id": ONBOARD_VIEW,
        "title": _plain("Onboard a contractor"),
        "submit": _plain("Ask for approval"),
        "close": _plain("Cancel"),
        "blocks": [
            _input("contractor", "Contractor (their Slack account)", {"type": "users_select"}),
            _input(
                "country",
                "Work country (ISO code, e.g. DE)",
                {"type": "plain_text_input", "min_length": 2, "max_length": 2},
            ),
            _input(
                "end",
                "Contract end date",
                {"type": "datepicker", "initial_date": today.isoformat()},
            ),
            _input("role", "Role", role_element),
            _input(
                "justification",
                "Why do they need access?",
                {"type": "plain_text_input", "multiline": True, "max_length": 500},
                optional=True,
            ),
        ],
    }


def approval_card(contractor: Contractor, checks: Sequence[CheckResult]) -> tuple[str, list[Block]]:
    """The approval request (``chat.postMessage`` to ``CREDBOT_APPROVAL_CHANNEL``): fallback
    text and blocks with Approve / Reject buttons whose value is the contractor ID."""
    fallback = f"<@{contractor.requested_by}> asks credentials for <@{contractor.slack_user_id}>"
    blocks = [*_request_context(contractor, checks)]
    blocks.append(
        {
            "type": "actions",
            "block_id": "decision",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE,
                    "text": _plain("Approve"),
                    "style": "primary",
                    "value": contractor.id,
                    "confirm": {
                        "title": _plain("Approve?"),
                        "text": {
                            "type": "mrkdwn",
                            "text": "credbot will create the account and DM a one-time link.",
                        },
                        "confirm": _plain("Approve"),
                        "deny": _plain("Cancel"),
                    },
                },
                _reject_button(contractor),
            ],
        }
    )
    return fallback, blocks


def _reject_button(contractor: Contractor) -> Block:
    return {
        "type": "button",
        "action_id": REJECT,
        "text": _plain("Reject"),
        "style": "danger",
        "value": contractor.id,
    }


def verification_card(
    contractor: Contractor, checks: Sequence[CheckResult]
) -> tuple[str, list[Block]]:
    """The request while it waits for an approver to check an official ID: the check
    results and a button that opens the attestation form (value: the contractor ID)."""
    fallback = (
        f"<@{contractor.requested_by}> asks credentials for <@{contractor.slack_user_id}>: "
        "an approver must check their ID first"
    )
    blocks = [*_request_context(contractor, checks)]
    blocks.extend(text(messages.attestation_needed(contractor)))
    blocks.append(
        {
            "type": "actions",
            "block_id": "attestation",
            "elements": [
                {
                    "type": "button",
                    "action_id": ATTEST,
                    "text": _plain("I checked their ID"),
                    "style": "primary",
                    "value": contractor.id,
                },
                _reject_button(contractor),
            ],
        }
    )
    return fallback, blocks


def checks_failed_card(
    contractor: Contractor, checks: Sequence[CheckResult]
) -> tuple[str, list[Block]]:
    """A request the identity checks rejected: what was asked and why it failed; no buttons."""
    line = messages.checks_failed_line()
    blocks = [*_request_context(contractor, checks)]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    return f"{line}: <@{contractor.slack_user_id}>", blocks


def attestation_modal(contractor: Contractor, *, card: str) -> dict[str, Any]:
    """The attestation form (``views.open``); ``card`` (``channel:ts``) lets the submission
    update the card it came from."""
    return {
        "type": "modal",
        "callback_id": ATTEST_VIEW,
        "private_metadata": f"{contractor.id}|{card}",
        "title": _plain("Identity check"),
        "submit": _plain("Confirm"),
        "close": _plain("Cancel"),
        "blocks": [
            *text(messages.attestation_prompt(contractor)),
            _input(
                "document_type",
                "Official photo ID you checked",
                {
                    "type": "static_select",
                    "options": [
                        {"text": _plain(label), "value": value}
                        for value, label in DOCUMENT_TYPES.items()
                    ],
                },
            ),
            _input(
                "note",
                "Reference (optional): a ticket or call ID, never the document number",
                {"type": "plain_text_input", "max_length": 64},
                optional=True,
            ),
        ],
    }


def rejection_modal(contractor: Contractor, *, card: str) -> dict[str, Any]:
    """The reject form (``views.open``): why, in words the manager reads; ``card``
    (``channel:ts``) lets the submission update the card it came from."""
    return {
        "type": "modal",
        "callback_id": REJECT_VIEW,
        "private_metadata": f"{contractor.id}|{card}",
        "title": _plain("Reject the request"),
        "submit": _plain("Reject"),
        "close": _plain("Cancel"),
        "blocks": [
            *text(messages.rejection_prompt(contractor)),
            _input(
                "reason",
                "Why? (the manager who asked is told)",
                {"type": "plain_text_input", "multiline": True, "max_length": 300},
            ),
        ],
    }


def decided_card(
    contractor: Contractor,
    *,
    decision: str,
    actor: str,
    at: datetime,
    checks: Sequence[CheckResult] = (),
    note: str = "",
) -> tuple[str, list[Block]]:
    """A card after a decision (``chat.update``): no buttons, who and when."""
    line = messages.decided_card_line(decision, actor, f"{at:%Y-%m-%d %H:%M}")
    blocks = [*_request_context(contractor, checks)]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    if note:
        blocks.extend(text(note))
    return f"{line}: <@{contractor.slack_user_id}>", blocks


def _request_context(contractor: Contractor, checks: Sequence[CheckResult]) -> list[Block]:
    fields = [
        ("Contractor", f"<@{contractor.slack_user_id}> ({contractor.display_name})"),
        ("Email (from Slack)", contractor.email),
        ("Work country", contractor.country),
        ("Contract ends", f"{contractor.end_date:%Y-%m-%d}"),
        ("Role", contractor.role),
        ("Requested by", f"<@{contractor.requested_by}>"),
    ]
    blocks: list[Block] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Contractor credentials requested*"},
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields],
        },
        *text(f"*Why*\n{contractor.justification or '_no justification given_'}"),
    ]
    if checks:
        blocks.extend(text("*Identity checks*\n" + messages.check_lines(checks)))
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"request `{contractor.id}`"}],
        }
    )
    return blocks


def contractor_list(contractors: Sequence[Contractor], *, empty: str) -> list[Block]:
    """Contractors, one line each (at most 40 lines; the rest are counted)."""
    if not contractors:
        return text(empty)
    lines = [messages.contractor_line(c) for c in contractors[:40]]
    if len(contractors) > 40:
        lines.append(f"… and {len(contractors) - 40} more")
    return text("\n".join(lines))


def end_my_access_button() -> list[Block]:
    """The contractor's own "End my access" button, with Slack's confirmation dialog."""
    return [
        {
            "type": "actions",
            "block_id": "own_access",
            "elements": [
                {
                    "type": "button",
                    "action_id": END_MY_ACCESS,
                    "style": "danger",
                    "text": _plain("End my access"),
                    "value": "end",
                    "confirm": {
                        "title": _plain("End your access?"),
                        "text": _plain(
                            "Your password, TOTP key and every login are revoked at once. "
                            "Coming back needs a new request by your manager."
                        ),
                        "confirm": _plain("End my access"),
                        "deny": _plain("Keep it"),
                        "style": "danger",
                    },
                }
            ],
        }
    ]


def home_view(sections: Sequence[tuple[str, list[Block]]]) -> dict[str, Any]:
    """App Home (``views.publish``): titled sections, in order."""
    blocks: list[Block] = [
        {"type": "header", "text": _plain("credbot")},
    ]
    for title, body in sections:
        blocks.append({"type": "divider"})
        blocks.extend(text(f"*{title}*"))
        blocks.extend(body)
    return {"type": "home", "blocks": blocks[:100]}
