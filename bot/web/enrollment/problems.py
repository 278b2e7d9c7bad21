"""Domain and Vault errors to what the page says and which status it answers with.

The translation happens here, once. Every problem a person can cause is a 4xx; only Vault or
the database failing gives a 503. Texts come from ``bot.web.enrollment.messages``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import errors
from bot.core.messages import explain
from bot.web.enrollment import messages
from vault.errors import VaultError, VaultUnavailable

_UNUSABLE_KINDS = {
    "used": "link_used",
    "expired": "link_expired",
    "invalidated": "link_invalidated",
    "locked": "link_locked",
    "not revealed yet": "not_revealed",
}


@dataclass(frozen=True)
class Problem:
    """A refusal the page shows: HTTP ``status``, a stable ``kind`` for scripts and tests,
    the title and message for people; ``retry`` when the same form may be sent again."""

    status: int
    kind: str
    message: str
    retry: bool = False
    tries_left: int | None = None

    @property
    def title(self) -> str:
        """The page heading for this kind of problem."""
        return messages.ENROLL_TITLES.get(self.kind, messages.ENROLL_TITLES["internal"])

    def as_json(self) -> dict[str, object]:
        """The JSON body of the refusal."""
        body: dict[str, object] = {
            "error": self.kind,
            "title": self.title,
            "message": self.message,
            "retry": self.retry,
        }
        if self.tries_left is not None:
            body["tries_left"] = self.tries_left
        return body


class BadInput(Exception):
    """The request itself is unreadable (size, type, syntax, missing field)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.kind)
        self.problem = problem


def bad_request(message: str = messages.ENROLL_BAD_FORM) -> BadInput:
    """A 400 for a body that cannot be read or lacks a field."""
    return BadInput(Problem(400, "bad_request", message))


def problem_for(error: Exception) -> Problem | None:  # noqa: PLR0911, PLR0912 - one per error
    """The problem to show for ``error``, or ``None`` when it is a bug (the caller logs it)."""
    match error:
        case BadInput(problem=problem):
            return problem
        case errors.LinkNotFound():
            return Problem(404, "link_not_found", explain(error))
        case errors.LinkUnusable(why=why):
            kind = _UNUSABLE_KINDS.get(why, "link_invalidated")
            return Problem(409 if kind == "not_revealed" else 410, kind, explain(error))
        case errors.ConfirmationRejected(tries_left=left):
            return Problem(403, "confirmation_rejected", explain(error), True, left)
        case errors.TotpRejected(tries_left=left):
            return Problem(403, "totp_rejected", explain(error), True, left)
        case errors.PasswordRejected(tries_left=left):
            return Problem(403, "password_rejected", explain(error), True, left)
        case errors.ProofNotBound():
            return Problem(403, "proof_not_bound", explain(error))
        case errors.EnrolmentLocked():
            return Problem(410, "link_locked", explain(error))
        case errors.PossibleInterception():
            return Problem(409, "possible_interception", explain(error))
        case errors.InvalidRequest():
            return Problem(400, "bad_request", explain(error), retry=True)
        case errors.StaleState() | errors.IllegalTransition():
            return Problem(409, "changed", messages.ENROLL_CHANGED)
        case VaultUnavailable():
            return Problem(503, "unavailable", messages.ENROLL_VAULT_DOWN, retry=True)
        case VaultError():
            return Problem(503, "internal", messages.ENROLL_INTERNAL, retry=True)
        case errors.CredbotError():
            return Problem(409, "changed", messages.ENROLL_CHANGED)
    return None
