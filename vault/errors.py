"""Typed Vault failures. The translation from HTTP status / hvac exceptions happens once, in
``vault.client.translate``; everything else catches these classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vault.models import SetupChange


class VaultError(Exception):
    """Base class for every failure talking to Vault."""


class UnsupportedProxy(ValueError):
    """The environment names a proxy for Vault that credbot cannot speak to: only ``http://``
    and ``https://`` proxies are (``socks5://`` is not). A setting to fix, before any call."""

    def __init__(self, scheme: str) -> None:
        super().__init__(
            f"the proxy the environment names for Vault (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) "
            f"is a {scheme}:// proxy; credbot reaches Vault through http:// or https:// "
            "proxies only (or set NO_PROXY to Vault's host)"
        )
        self.scheme = scheme


class VaultUnavailable(VaultError):
    """Vault cannot be reached, is sealed, or is on standby: the operation may be retried."""


class VaultPermissionDenied(VaultError):
    """The bot's token lacks a capability: a policy or configuration problem, not retryable."""


class VaultNotFound(VaultError):
    """The addressed object does not exist."""


class VaultInvalidRequest(VaultError):
    """Vault rejected the request as malformed (HTTP 400)."""


class WrappingTokenRejected(VaultError):
    """A wrapping token could not be looked up or unwrapped.

    Vault response-wrapping tokens are single-use: if lookup fails for a token credbot never
    unwrapped, somebody else may have unwrapped it first. Callers must treat this as a possible
    interception and raise an alert, never as a routine failure.
    """


class WrappingTokenTampered(WrappingTokenRejected):
    """The wrapping token exists but was not created at the path credbot wrapped."""

    def __init__(self, *, expected_path: str, actual_path: str) -> None:
        super().__init__(
            f"wrapping token was created at {actual_path!r}, expected {expected_path!r}"
        )
        self.expected_path = expected_path
        self.actual_path = actual_path


class LoginRefused(VaultError):
    """A contractor's login was refused at the password step (wrong password, unknown user)."""


class MfaCodeRejected(VaultError):
    """``sys/mfa/validate`` refused the TOTP code: wrong, or already used in its window (Vault
    gives both the same answer, so they cannot be told apart)."""


class MfaAttemptsExceeded(MfaCodeRejected):
    """Too many wrong codes for this entity in the method's period: Vault refuses every code,
    right ones too, until the period has passed."""


class MfaNotEnforced(VaultError):
    """A contractor's password alone produced a token: login MFA is not enforced on credbot's
    mount. Fail closed: ``credbot vault init`` sets the enforcement up."""

    def __init__(self, *, username: str) -> None:
        super().__init__(
            f"the password alone logged {username!r} in: login MFA is not enforced on "
            "auth/credbot (run `credbot vault init`)"
        )
        self.username = username


class VersionConflict(VaultInvalidRequest):
    """A check-and-set write lost: the KV secret changed since the writer read it."""


class InvalidName(VaultInvalidRequest, ValueError):
    """A username or role name is not safe to use in a Vault path; nothing was sent to Vault."""


class VaultSetupConflict(VaultError):
    """A mount credbot needs exists with another type or version; ``initialize`` will not
    overwrite it."""

    def __init__(self, *, path: str, expected: str, actual: str) -> None:
        super().__init__(f"mount {path!r} is {actual}, expected {expected}")
        self.path = path
        self.expected = expected
        self.actual = actual


class UsernameTaken(VaultInvalidRequest):
    """``issue_account`` refused a username that already has a user, or whose identity entity
    was disabled by an earlier revocation (a retired name would never work again)."""

    def __init__(self, *, username: str, reason: str) -> None:
        super().__init__(f"username {username!r} cannot be issued: {reason}")
        self.username = username
        self.reason = reason


class VaultSetupDrift(VaultError):
    """``credbot vault init`` would change items that exist and differ from what it would
    write (a narrowed policy, a role, an MFA method): refused, nothing written, unless forced.
    ``changes`` are the ``vault.models.SetupChange`` updates with their diffs."""

    def __init__(self, *, changes: Sequence[SetupChange]) -> None:
        names = ", ".join(change.item for change in changes)
        super().__init__(f"{len(changes)} item(s) differ from what credbot would write: {names}")
        self.changes = list(changes)
