"""Wording for the domain errors, shared by every door (the CLI, Slack and the web pages).

Messages say what happened and what to do next; they never include a secret (the errors carry
none) and never a stack trace. Each door's own texts live beside it (``bot.slack.messages``,
``bot.web.enrollment.messages``, ``bot.sweep_report`` for the CLI).
"""

from __future__ import annotations

from bot.core import errors

_LINK_WHY = {
    "used": "This link was already used. Links work once; ask your manager to reissue.",
    "expired": "This link has expired. Ask your manager to reissue it.",
    "invalidated": "This link was replaced or withdrawn. Use the newest link you received.",
    "locked": "Too many failed tries: this enrolment is locked. Ask your manager to reissue.",
    "not revealed yet": "Open your link and reveal your credentials first.",
}


def explain(error: errors.CredbotError) -> str:  # noqa: PLR0911, PLR0912 - one case per error type
    """A sentence a manager, contractor or admin can act on."""
    match error:
        case errors.IllegalTransition(current=current, target=target):
            return f"Not possible now: the contractor is {current}, which cannot become {target}."
        case errors.StaleState():
            return "Someone else changed this contractor a moment ago. Check the status and retry."
        case errors.ContractorNotFound(key=key):
            return f"No contractor found for {key}."
        case errors.DuplicateContractor(field=field):
            return f"This person already has a live credential or request (same {field})."
        case errors.NotAllowed(reason=reason):
            return f"Not allowed: {reason}."
        case errors.InvalidRequest(field=field, problem=problem):
            return f"Please fix {field}: {problem}."
        case errors.RevocationPending(cause=cause):
            return (
                "Revocation started but Vault has not confirmed it yet "
                f"({cause}). The contractor stays 'revoking'; run it again or wait for the sweep."
            )
        case errors.IssueFailed(cause=cause):
            return f"Could not issue credentials ({cause}). Nothing was left half-made; retry."
        case errors.LinkNotFound():
            return "This link is not valid. Check that you copied all of it."
        case errors.LinkUnusable(why=why):
            return _LINK_WHY.get(why, "This link cannot be used.")
        case errors.ConfirmationRejected(tries_left=left):
            return (
                "That confirmation code does not match the one in your Slack message. "
                f"{left} {'try' if left == 1 else 'tries'} left."
            )
        case errors.PossibleInterception():
            return (
                "These credentials could not be opened: someone may have opened them first. "
                "Security has been alerted; your manager will send a new link."
            )
        case errors.TotpRejected(tries_left=left):
            return (
                "Vault did not accept that code: it is wrong, or it was used already. Wait for "
                f"the next code in your app. {left} {'try' if left == 1 else 'tries'} left."
            )
        case errors.PasswordRejected(tries_left=left):
            return (
                "That is not your password. Paste it from where you saved it. "
                f"{left} {'try' if left == 1 else 'tries'} left."
            )
        case errors.ProofNotBound():
            return (
                "Finish in the browser where you revealed your credentials. If you cannot, "
                "ask your manager to reissue your link."
            )
        case errors.EnrolmentLocked():
            return _LINK_WHY["locked"]
        case errors.LeaseBusy(holder=holder, until=until):
            return (
                f"Another sweep is running ({holder}, holding it until {until:%H:%M:%S} UTC "
                "unless it goes on); nothing was done. Run it again once that one is finished."
            )
    return str(error)
