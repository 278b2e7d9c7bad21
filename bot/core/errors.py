"""Typed domain errors. Each carries the data a door needs to render a clear message.

User-facing wording lives in ``bot.core.messages``; these classes only carry facts.
"""

from __future__ import annotations

from datetime import datetime


class CredbotError(Exception):
    """Base class for domain errors that a door turns into a message for a person."""


class IllegalTransition(CredbotError):
    """The lifecycle does not allow this change from the contractor's current state."""

    def __init__(self, *, current: str, target: str) -> None:
        super().__init__(f"cannot go from {current} to {target}")
        self.current = current
        self.target = target


class StaleState(CredbotError):
    """Another actor changed the contractor between our read and our write."""

    def __init__(self, *, contractor_id: str, expected: str) -> None:
        super().__init__(f"contractor {contractor_id} is no longer {expected}")
        self.contractor_id = contractor_id
        self.expected = expected


class ContractorNotFound(CredbotError):
    """No contractor matches the given id or Slack user."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no contractor {key}")
        self.key = key


ChangeRefused = StaleState | ContractorNotFound
"""Why one change of a batch (``Store.apply_many``) was not applied."""


class DuplicateContractor(CredbotError):
    """One person, one credential: this Slack user or email already has a live record."""

    def __init__(self, *, existing_id: str, field: str) -> None:
        super().__init__(f"a live contractor with the same {field} exists ({existing_id})")
        self.existing_id = existing_id
        self.field = field


class NotAllowed(CredbotError):
    """The actor may not do this (four eyes, self-approval, wrong role)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidRequest(CredbotError):
    """A field of a request is malformed; ``field`` names it for inline error display."""

    def __init__(self, *, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class RevocationPending(CredbotError):
    """Revocation started (the contractor is ``revoking``) but Vault did not finish it.

    The contractor is never shown as revoked; a retry or the sweep completes the job.
    ``vault_unreachable``: because Vault did not answer (rather than refused, or still showed
    something), so waiting for Vault is all it takes.
    """

    def __init__(self, *, contractor_id: str, cause: str, vault_unreachable: bool = False) -> None:
        super().__init__(f"revocation of {contractor_id} is pending: {cause}")
        self.contractor_id = contractor_id
        self.cause = cause
        self.vault_unreachable = vault_unreachable


class IssueFailed(CredbotError):
    """Issuing an account failed; anything half-made in Vault was removed, a retry may work."""

    def __init__(self, *, contractor_id: str, cause: str) -> None:
        super().__init__(f"could not issue credentials for {contractor_id}: {cause}")
        self.contractor_id = contractor_id
        self.cause = cause


class AuditWriteConflict(CredbotError):
    """Appending to the audit chain kept colliding with concurrent writers."""


class AnchorRefused(CredbotError):
    """The stored audit anchor is not one credbot signed (malformed, or its signature does not
    verify with the anchor key): nothing is checked against it or built on it."""

    def __init__(self, why: str) -> None:
        super().__init__(f"the signed audit anchor is refused: {why}")
        self.why = why


class ChainDisagrees(CredbotError):
    """The stored audit chain does not run intact from the signed anchor to its newest event
    (events removed, or rewritten): the anchor is not moved past it. ``anchor_seq`` is the
    anchor's event (``None``: no anchor yet, the chain itself is broken)."""

    def __init__(self, problem: str, *, anchor_seq: int | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.anchor_seq = anchor_seq


class LinkNotFound(CredbotError):
    """No link matches: wrong, mistyped or made-up. Says nothing more, by design."""


class LinkUnusable(CredbotError):
    """The link exists but can no longer be used; ``why`` is used, expired or invalidated."""

    def __init__(self, why: str) -> None:
        super().__init__(f"link {why}")
        self.why = why


class ConfirmationRejected(CredbotError):
    """The confirmation code shown next to the link in Slack was wrong."""

    def __init__(self, *, tries_left: int) -> None:
        super().__init__(f"wrong confirmation code, {tries_left} tries left")
        self.tries_left = tries_left


class PossibleInterception(CredbotError):
    """Vault refused the wrapping token we were about to unwrap for the first time.

    Somebody else may have unwrapped it; admins have been alerted and the event audited.
    """


class TotpRejected(CredbotError):
    """Vault's login MFA refused the code: wrong, or already used (Vault does not say which);
    ``tries_left`` before the account is destroyed."""

    def __init__(self, *, tries_left: int) -> None:
        super().__init__(f"code not accepted, {tries_left} tries left")
        self.tries_left = tries_left


class PasswordRejected(CredbotError):
    """The password typed at the enrolment login is not the account's; ``tries_left`` before
    the account is destroyed."""

    def __init__(self, *, tries_left: int) -> None:
        super().__init__(f"wrong password, {tries_left} tries left")
        self.tries_left = tries_left


class ProofNotBound(CredbotError):
    """The proof step came without the token the reveal handed back: only the browser that
    revealed may take it, so a caller holding only the URL burns nothing."""

    def __init__(self) -> None:
        super().__init__("the proof step belongs to the browser that revealed")


class EnrolmentLocked(CredbotError):
    """Too many wrong codes: the account was destroyed and a manager must reissue."""


class VerificationNotFound(CredbotError):
    """No identity verification has this reference (mistyped, made up, or for another bot)."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"no identity verification {reference}")
        self.reference = reference


class VerificationDecided(CredbotError):
    """The identity verification, or the request it belongs to, was already decided."""

    def __init__(self, *, reference: str, state: str) -> None:
        super().__init__(f"identity verification {reference} is already decided ({state})")
        self.reference = reference
        self.state = state


class DeliveryReplayed(CredbotError):
    """This exact signed delivery was received before: a replay (or a provider's duplicate)."""


class LeaseBusy(CredbotError):
    """Another process runs this job now (the scheduled sweep on another replica)."""

    def __init__(self, *, name: str, holder: str, until: datetime) -> None:
        super().__init__(f"{name} is held by {holder} until {until.isoformat()}")
        self.name = name
        self.holder = holder
        self.until = until


class ApprovalNotPosted(Exception):
    """The request is stored and checked but no approver can see it (a ``Notifier`` raises it
    from ``ask_approvers`` after telling the admins)."""

    def __init__(self, *, contractor_id: str, error: str) -> None:
        super().__init__(f"approval card for {contractor_id} not posted: {error}")
        self.contractor_id = contractor_id
        self.error = error


class LinkNotDelivered(Exception):
    """The contractor's message with the link could not be sent (a ``Notifier`` raises it from
    ``send_link`` after telling the requester and the admins); ``error`` is the door's code."""

    def __init__(self, *, contractor_id: str, error: str) -> None:
        super().__init__(f"the link for contractor {contractor_id} was not delivered: {error}")
        self.contractor_id = contractor_id
        self.error = error
