"""Wording shared by every door (the CLI, Slack and the web pages): the domain errors, the
sweep's report (``sweep_summary``; each door adds only its markup) and the audit anchor's notice.

Messages say what happened and what to do next; they never include a secret (the errors carry
none) and never a stack trace. Each door's own texts live beside it (``bot.slack.messages``,
``bot.web.enrollment.messages``, ``bot.cli.sweep`` for the CLI).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import agency_messages, errors
from bot.core.agencies import AgencyError
from bot.core.audit import canonical_time
from bot.core.models import SignedAnchor
from bot.core.reviews import ReviewRun
from bot.core.sweep import SweepItem, SweepReport

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
        case AgencyError():
            return agency_messages.explain(error)
    return str(error)


def anchor_notice(anchor: SignedAnchor) -> str:
    """A signed audit anchor, posted to the audit channel as a copy outside the database and
    Vault: with it anyone can later check the chain up to this event (``credbot audit
    export`` gives the events, Vault's transit ``verify`` the signature)."""
    return (
        f":lock: Audit trail anchored at event #{anchor.seq} "
        f"({canonical_time(anchor.signed_at)}): hash `{anchor.hash}`, "
        f"signature `{anchor.signature}`"
    )


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep's report says, decided once for every door; a door only adds its markup
    (the CLI a table and colours, Slack mentions and emoji)."""

    title: str
    items: list[SweepItem]
    findings: list[tuple[str, list[str]]]
    """``(label, names)`` of each non-empty reconciliation finding."""
    notes: list[str]
    warnings: list[str]
    """The circuit breaker and each problem, a line each."""
    verdict: str
    all_done: bool


def sweep_summary(report: SweepReport) -> SweepSummary:
    """The sweep's report in sentences (``credbot sweep`` and ``/contractor sweep`` alike)."""
    findings = [
        (label, names)
        for label, names in (
            ("Accounts not in use (revoked by the sweep)", report.stale_accounts),
            (
                "Orphan Vault users (no live record; `credbot sweep --fix-drift` removes them)",
                report.orphans,
            ),
            ("Orphans removed", report.orphans_removed),
            ("Issued/active contractors missing in Vault", report.missing),
        )
        if names
    ]
    warnings = [f"Circuit breaker: {report.breaker}"] if report.breaker else []
    warnings.extend(f"Problem: {problem}" for problem in report.problems)
    return SweepSummary(
        title="Sweep (dry run: nothing changed)" if report.dry_run else "Sweep",
        items=report.items,
        findings=findings,
        notes=_sweep_notes(report),
        warnings=warnings,
        verdict=(
            "All done."
            if report.all_done
            else f"{len(report.pending)} revocation(s) still pending. The next sweep retries."
        ),
        all_done=report.all_done,
    )


def _review_note(run: ReviewRun) -> str:
    """What access reviews did in the run, in one line."""
    started = f"round {run.started_round} started; " if run.started_round else ""
    return (
        f"Access reviews: {started}{run.sent} sent, {run.reminded} reminded, "
        f"{run.lapsed} lapsed unanswered."
    )


def _sweep_notes(report: SweepReport) -> list[str]:
    """Erasure, the move to login MFA, access reviews, the audit anchor, Vault's silence."""
    notes = []
    if report.erased:
        erased = "would be erased" if report.dry_run else "erased"
        notes.append(f"Personal data of {report.erased} finished record(s) {erased} (retention).")
    if report.moved_to_login_mfa:
        count, verb = len(report.moved_to_login_mfa), "would get" if report.dry_run else "got"
        notes.append(
            f"{count} contractor(s) from before login MFA {verb} a new link (reissue): "
            "every login now asks for a code."
        )
    if report.reviews is not None:
        notes.append(_review_note(report.reviews))
    if report.anchored_seq is not None:
        notes.append(f"Audit trail anchored in Vault at event #{report.anchored_seq}.")
    if report.vault_unreachable:
        notes.append(
            "Vault did not answer during this run: what needs Vault is left for the next run "
            "(what is shown as done is done)."
        )
    return notes
