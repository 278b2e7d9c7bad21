"""What the Slack door says: replies, DMs, cards' texts and help.

Messages say what happened and what to do next; they never include a secret and never a stack
trace. Domain errors are worded once, in ``bot.core.messages``.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.messages import sweep_summary
from bot.core.models import CheckResult, Contractor
from bot.core.sweep import SweepReport

# --- The Slack door: replies, DMs and help. Nothing here ever receives a secret except
# ``link_dm``, whose text goes to the contractor's DM only.

COMMAND = "/contractor"

USAGE: dict[str, str] = {
    "onboard": (
        f"`{COMMAND} onboard` opens a form. Power users: "
        f"`{COMMAND} onboard @person country=DE end=2027-03-31 role=reviewer [why…]`. "
        "Managers only; an approver must then approve, and credbot DMs the person a one-time link."
    ),
    "offboard": (
        f"`{COMMAND} offboard @person [reason]`: revoke every credential now (or withdraw a "
        "request not approved yet). Managers and admins."
    ),
    "recheck": (
        f"`{COMMAND} recheck @person`: run the identity checks of a waiting request again "
        "(after Slack was down, a setting was fixed or an ID was verified)."
    ),
    "reissue": (
        f"`{COMMAND} reissue @person`: lost phone or expired link. The old password, TOTP key "
        "and link die; a new link is DMed. The manager who asked, or an admin."
    ),
    "status": f"`{COMMAND} status @person`: where the person's credential stands.",
    "list": (
        f"`{COMMAND} list [state]`: your contractors (approvers and admins see everyone); "
        "states: requested, verifying, awaiting_approval, approved, issued, active, expired, "
        "locked, revoking, revoked, rejected."
    ),
    "sweep": (
        f"`{COMMAND} sweep [dry-run]`: admins. Revokes what is due (ended contracts, expired "
        "links, interrupted revocations, deactivated Slack accounts) and reconciles Vault with "
        "the database; `dry-run` only shows the plan."
    ),
    "offboard-agency": (
        f"`{COMMAND} offboard-agency agency.example reason…`: admins. Cut off every contractor "
        "whose email is at exactly that domain: a second admin confirms on a card in the audit "
        "channel, then all of them are revoked, their pending requests rejected, and new "
        "requests for the domain refused until `unblock-agency`. Run it again to finish one "
        "that left contractors pending."
    ),
    "unblock-agency": (
        f"`{COMMAND} unblock-agency agency.example reason…`: admins. Lift an agency's block: "
        "requests for the domain are accepted again."
    ),
    "help": f"`{COMMAND} help [subcommand]`: this help.",
}


def help_text(topic: str | None = None) -> str:
    """Help for one subcommand, or the overview."""
    if topic is not None:
        return USAGE[topic]
    return "*credbot* gives contractors unique, TOTP-protected credentials.\n" + "\n".join(
        f"• {text}" for text in USAGE.values()
    )


def bad_command(problem: str, topic: str | None) -> str:
    """The command text could not be understood: why, then how to write it."""
    hint = USAGE[topic] if topic else f"Try `{COMMAND} help`."
    return f"Sorry, I did not understand that: {problem}.\n{hint}"


def not_in_role(action: str, roles: str) -> str:
    """The caller lacks the role ``action`` needs."""
    return f"Not allowed: only {roles} can {action}. Nothing was changed."


def role_lookup_failed(error: str) -> str:
    """A role's user group could not be resolved (fail closed)."""
    return (
        f"I could not check your role with Slack ({error}), so nothing was changed. "
        "Try again in a minute; if it persists, tell an admin."
    )


_NOT_A_CONTRACTOR = {
    "bot": "is a bot or app, not a person",
    "deleted": "is a deactivated Slack account",
    "no_email": "has no email address in Slack (credbot needs it to identify the person)",
    "user_not_found": "is not a user of this workspace",
    "user_not_visible": "is not visible to credbot",
}


def not_a_contractor(user_id: str, why: str) -> str:
    """The named Slack account cannot be onboarded."""
    reason = _NOT_A_CONTRACTOR.get(why, f"cannot be looked up ({why})")
    return f"<@{user_id}> {reason}. Nothing was changed."


def slack_unavailable(error: str) -> str:
    """Slack's API refused or failed after retries."""
    return f"Slack did not answer as expected ({error}). Nothing was changed; try again."


def unexpected_failure() -> str:
    """A bug or outage the door did not foresee (details are in the server log)."""
    return "Something went wrong on credbot's side; it is logged. Check the status before retrying."


def working() -> str:
    """The immediate answer to a command whose work runs after the ack."""
    return "On it…"


def check_lines(checks: Sequence[CheckResult]) -> str:
    """Identity check results, one line each, the outcome first."""
    marks = {"pass": "passed", "fail": "FAILED", "pending": "waiting"}
    return "\n".join(f"• {c.check}: *{marks[c.outcome]}*: {c.reason}" for c in checks)


def checks_outcome(
    contractor: Contractor, checks: Sequence[CheckResult], channel: str | None
) -> str:
    """Reply to the manager once the identity checks ran on a request."""
    who = f"<@{contractor.slack_user_id}>"
    if contractor.state.value == "awaiting_approval":
        where = f" in <#{channel}>" if channel else ""
        return f"Request for {who} passed the identity checks and went to the approvers{where}."
    if contractor.state.value == "rejected":
        failed = [c for c in checks if c.outcome == "fail"]
        return f"Request for {who} was rejected by the identity checks:\n" + check_lines(failed)
    waiting = [c for c in checks if c.outcome == "pending"]
    return (
        f"Request for {who} recorded; identity checks are waiting:\n{check_lines(waiting)}\n"
        f"`{COMMAND} recheck {who}` runs them again once the cause is fixed."
    )


def rejection_prompt(contractor: Contractor) -> str:
    """At the top of the reject form."""
    return (
        f"Reject <@{contractor.requested_by}>'s request for <@{contractor.slack_user_id}>. "
        "Nothing is issued; asking again needs a new request."
    )


def rejection_reason(reason: str) -> str:
    """On a rejected card, under who rejected."""
    return f"Reason: {reason}"


def checks_failed_line() -> str:
    """Under a card of a request the identity checks rejected."""
    return "*Rejected by the identity checks*: nothing was issued; the manager was told why."


def approval_card_again(contractor: Contractor, channel: str | None) -> str:
    """``recheck`` of a request awaiting approval: its card went to the approvers again."""
    where = f" in <#{channel}>" if channel else ""
    return (
        f"The request for <@{contractor.slack_user_id}> passed the identity checks and awaits "
        f"approval; its approval card was posted again{where}."
    )


def nothing_to_recheck(contractor: Contractor) -> str:
    """``recheck`` of a request whose checks are over."""
    return (
        f"Nothing to recheck: the request for <@{contractor.slack_user_id}> is "
        f"{contractor.state.value}; identity checks run only while a request waits for them."
    )


def recheck_failed(contractor: Contractor, error: str) -> str:
    """DM to the manager: a verification result arrived but the checks could not run again."""
    who = f"<@{contractor.slack_user_id}>"
    return (
        f"The identity verification of {who} reported back, but the checks could not run "
        f"again ({error}). Run `{COMMAND} recheck {who}`."
    )


def attestation_needed(contractor: Contractor) -> str:
    """Below the verification card's checks."""
    return (
        f"*An approver must check <@{contractor.slack_user_id}>'s official photo ID* (a video "
        "call or in person; not the requester, not the contractor), then press the button. "
        "credbot records who checked, when and the document type, never the document number."
    )


def attestation_prompt(contractor: Contractor) -> str:
    """At the top of the attestation form."""
    return (
        f"Confirm that you saw an official photo ID of <@{contractor.slack_user_id}> "
        f"({contractor.display_name}), that it was valid and that it matched the person. "
        "Do not type the document number anywhere."
    )


def attested(attester: str, document: str) -> str:
    """Added to the verification card once an approver attested."""
    return f"{document} checked by <@{attester}>; the identity checks ran again."


def already_decided(state: str, approved_by: str | None) -> str:
    """A button was clicked on a request someone has already decided."""
    who = f" by <@{approved_by}>" if approved_by else ""
    return f"This request was already decided{who}: it is {state}. Nothing was changed."


def decided_card_line(decision: str, actor: str, at: str) -> str:
    """The line replacing the buttons on a decided approval card."""
    return f"*{decision.capitalize()}* by <@{actor}> at {at} UTC"


def approval_unavailable() -> str:
    """No approval channel is configured."""
    return (
        "No approval channel is configured (CREDBOT_APPROVAL_CHANNEL), so no approver "
        "can see this request. Tell an admin."
    )


def offboarded(user_id: str, state: str) -> str:
    """Reply after an offboard."""
    if state == "revoked":
        return f"<@{user_id}>: every credential is revoked and Vault confirmed it."
    return f"<@{user_id}>: the request was withdrawn ({state})."


def reissued(user_id: str, expires: str) -> str:
    """Reply after a reissue."""
    return (
        f"<@{user_id}>: old credentials destroyed, a new link was DMed (valid until {expires} UTC)."
    )


def sweep_report(report: SweepReport) -> str:
    """What ``/contractor sweep`` did (or, in a dry run, would do): ``sweep_summary`` in
    mrkdwn, long name lists cut at 20."""
    verb = {
        "planned": "would act on",
        "done": "done",
        "pending": "still pending",
        "skipped": "skipped",
        "held": "held by the circuit breaker",
    }
    summary = sweep_summary(report)
    lines = [f"*{summary.title}*"]
    if not summary.items:
        lines.append("Nothing due.")
    for item in summary.items:
        detail = f" ({item.detail})" if item.detail else ""
        lines.append(
            f"• <@{item.slack_user_id}>: {item.action.replace('_', ' ')}, "
            f"{verb[item.outcome]}{detail}"
        )
    for label, names in summary.findings:
        lines.append(
            f"{label}: {', '.join(f'`{n}`' for n in names[:20])}"
            + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        )
    lines.extend(summary.notes)
    lines.extend(f":warning: {warning}" for warning in summary.warnings)
    lines.append(summary.verdict)
    return "\n".join(lines)


def link_dm(name: str, *, url: str, code: str) -> str:
    """The contractor's DM: the one-time link (text only) and the confirmation code."""
    return (
        f"Hello {name}, your credentials for the review tool are ready.\n\n"
        f"1. Open this one-time link in a browser: {url}\n"
        f"2. When the page asks, enter this confirmation code: *{code}*\n\n"
        "The code proves the page was opened by you, from this message: nobody from credbot "
        "or security will ever ask you for it. The link works once and expires; if it does "
        "not work, ask your manager to reissue. Do not forward this message."
    )


def link_not_delivered(contractor: Contractor, error: str) -> str:
    """The link DM failed; a person must reissue."""
    return (
        f"The one-time link for <@{contractor.slack_user_id}> could not be delivered ({error}). "
        f"Fix the cause, then run `{COMMAND} reissue <@{contractor.slack_user_id}>`."
    )


_REQUESTER_EVENTS = {
    "approved": "was approved",
    "rejected": "was rejected",
    "withdrawn": "was withdrawn",
    "issued": "got a one-time link by DM",
    "active": "enrolled: the TOTP code is proven and access is on",
    "expired": "did not use the link in time; the account was destroyed",
    "locked": "was locked out after too many wrong codes; the account was destroyed",
    "link locked": "entered too many wrong confirmation codes; the link is dead",
    "revoked": "is offboarded",
    "link not delivered": "could not be sent the one-time link",
}


def requester_update(contractor: Contractor, *, event: str, detail: str = "") -> str:
    """The DM telling the manager what happened to their request."""
    what = _REQUESTER_EVENTS.get(event, event)
    text = f"Your contractor <@{contractor.slack_user_id}> {what}."
    if detail:
        text += f" {detail}"
    if event in {"expired", "locked", "link locked", "link not delivered"}:
        text += f" To send a new link: `{COMMAND} reissue <@{contractor.slack_user_id}>`."
    return text


def requester_not_told(contractor: Contractor, *, event: str, error: str) -> str:
    """Admin alert: the requester could not be DMed."""
    return (
        f"<@{contractor.requested_by}> could not be told ({error}) that their contractor "
        f"<@{contractor.slack_user_id}> {_REQUESTER_EVENTS.get(event, event)}."
    )


def admin_alert(summary: str, contractor: Contractor | None) -> str:
    """An alert for the audit channel."""
    about = f" (contractor <@{contractor.slack_user_id}>, `{contractor.id}`)" if contractor else ""
    return f":rotating_light: credbot alert{about}: {summary}"


STATE_WORDS = {
    "requested": "requested",
    "verifying": "identity checks running",
    "awaiting_approval": "waiting for an approver",
    "approved": "approved, credentials being issued",
    "issued": "link sent, not used yet",
    "active": "active",
    "expired": "link expired unused",
    "locked": "locked after wrong codes",
    "revoking": "revocation in progress",
    "revoked": "revoked",
    "rejected": "rejected",
}


def contractor_line(contractor: Contractor) -> str:
    """One line per contractor (status, list, App Home)."""
    return (
        f"<@{contractor.slack_user_id}> ({contractor.display_name}): "
        f"*{STATE_WORDS.get(contractor.state.value, contractor.state.value)}* "
        f"(`{contractor.state.value}`), {contractor.role} in {contractor.country}, "
        f"ends {contractor.end_date:%Y-%m-%d}"
    )


def no_contractors(state: str | None) -> str:
    """An empty list."""
    return f"No contractors{f' in state {state}' if state else ''}."


def link_not_delivered_reply(error: str) -> str:
    """Reply to whoever triggered an issue whose link DM failed."""
    return (
        f"Credentials were issued but the DM with the link failed ({error}); the requester and "
        f"the admins were told. Fix the cause, then `{COMMAND} reissue` the person."
    )


def approval_card_failed(contractor: Contractor, error: str) -> str:
    """Admin alert: a request's card could not be posted to the approval channel."""
    return (
        f"The card for <@{contractor.slack_user_id}>'s request (asked by "
        f"<@{contractor.requested_by}>) could not be posted to the approval channel ({error}). "
        f"The request is `{contractor.state.value}`: fix the channel, withdraw it with "
        f"`{COMMAND} offboard <@{contractor.slack_user_id}>` and ask again."
    )


def approval_not_posted_reply(error: str) -> str:
    """Reply to the manager when the approval card failed."""
    return (
        f"The request was recorded, but the approval card could not be posted ({error}). "
        "The admins were told."
    )


def link_sent(user_id: str) -> str:
    """Card note once the link DM went out."""
    return f"Credentials issued; the one-time link was DMed to <@{user_id}>."


def own_status(contractor: Contractor) -> str:
    """What a contractor sees about their own access (App Home)."""
    return (
        f"Your access as *{contractor.role}* is "
        f"*{STATE_WORDS.get(contractor.state.value, contractor.state.value)}*; "
        f"your contract ends {contractor.end_date:%Y-%m-%d}. "
        f"Questions: ask <@{contractor.requested_by}>."
    )
