"""``VaultAccounts``: the ``VaultBackend`` the domain core talks to.

Each method composes the per-engine modules (``userpass``, ``totp``, ``kv``, ``wrapping``,
``revocation``) and raises only ``vault.errors`` classes.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import hvac
import pyotp

from vault import health, identity, kv, mounts, revocation, tokens, totp, userpass, wrapping
from vault.errors import (
    UsernameTaken,
    VaultError,
    VaultNotFound,
    WrappingTokenRejected,
    WrappingTokenTampered,
)
from vault.layout import (
    PENDING_POLICY,
    USERPASS_MOUNT,
    check_username,
    pending_data_path,
    role_policy,
)
from vault.models import AccountSecrets, IssuedAccount, RevocationProof

log = logging.getLogger(__name__)

PASSWORD_BYTES = 32
"""256 bits from ``secrets``; ``token_urlsafe`` renders them as 43 URL-safe characters."""

SEED_LENGTH = 32
"""32 base32 characters: a 160-bit TOTP seed, the RFC 4226 recommended length."""

_CODE = re.compile(r"[0-9]{6}")


class VaultAccounts:
    """Contractor accounts in Vault: a userpass user, a TOTP key, a wrapped delivery.

    ``client`` must carry a token with the ``credbot-bot`` policy (AppRole in production).
    ``token_ttl`` / ``token_max_ttl`` bound every token a contractor obtains by logging in;
    ``bound_cidrs`` optionally restricts where those tokens may be used from.
    """

    def __init__(
        self,
        *,
        client: hvac.Client,
        issuer: str = "credbot",
        token_ttl: timedelta = timedelta(hours=1),
        token_max_ttl: timedelta = timedelta(hours=8),
        bound_cidrs: Sequence[str] | None = None,
    ) -> None:
        if token_max_ttl < token_ttl:
            raise ValueError("token_max_ttl must not be shorter than token_ttl")
        self._client = client
        self._issuer = issuer
        self._token_ttl = token_ttl
        self._token_max_ttl = token_max_ttl
        self._bound_cidrs = list(bound_cidrs) if bound_cidrs else None
        self._mount_accessor: str | None = None
        self._pool = ThreadPoolExecutor(max_workers=5, thread_name_prefix="credbot-vault")

    # -- issue ---------------------------------------------------------------------------------

    def issue_account(self, *, username: str, wrap_ttl: timedelta) -> IssuedAccount:
        """Create the user (policy ``credbot-pending``), import a fresh TOTP seed, and return
        the secrets as a wrapping token created at ``credbot-pending/data/<username>``.

        Calls, in order: ``POST auth/credbot/users/{u}``, ``POST credbot-totp/keys/{u}``,
        ``POST credbot-pending/data/{u}``, ``GET credbot-pending/data/{u}`` wrapped,
        ``DELETE credbot-pending/metadata/{u}``. If any step fails, everything created so far
        (user, key, KV entry, wrapping token) is removed and the typed error re-raised.
        Raises ``UsernameTaken`` for a name in use or retired by an earlier revocation.
        """
        check_username(username)
        self._refuse_taken(username)
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        seed = pyotp.random_base32(SEED_LENGTH)
        uri = pyotp.TOTP(seed, issuer=self._issuer, name=username).provisioning_uri()
        wrap: str | None = None
        try:
            userpass.create_or_update_user(
                self._client,
                username,
                password=password,
                token_policies=[PENDING_POLICY],
                token_no_default_policy=True,
                token_ttl=self._token_ttl,
                token_max_ttl=self._token_max_ttl,
                token_bound_cidrs=self._bound_cidrs,
            )
            totp.create_key(
                self._client, username, key=seed, issuer=self._issuer, account_name=username
            )
            secret = {
                "username": username,
                "password": password,
                "totp_secret": seed,
                "totp_uri": uri,
            }
            kv.create_or_update_secret(self._client, username, secret)
            info = kv.read_secret_wrapped(self._client, username, wrap_ttl)
            wrap = info.accessor
            kv.delete_metadata_and_all_versions(self._client, username)
        except BaseException:
            self._undo_issue(username, wrap)
            raise
        log.info("issued vault account %s", username)
        log.debug("wrapping accessor for %s: %s", username, info.accessor)
        return IssuedAccount(
            username=username,
            wrapping_token=info.token,
            wrapping_accessor=info.accessor,
            creation_path=info.creation_path,
            wrap_expires_at=info.expires_at,
        )

    def _refuse_taken(self, username: str) -> None:
        """Raise ``UsernameTaken`` if the user exists or its entity was disabled before."""
        if userpass.read_user(self._client, username) is not None:
            raise UsernameTaken(username=username, reason="a Vault user with this name exists")
        entity = identity.lookup_entity(
            self._client, alias_name=username, alias_mount_accessor=self._accessor()
        )
        if entity is not None and entity.get("disabled"):
            raise UsernameTaken(username=username, reason="it was revoked before")

    def _undo_issue(self, username: str, wrapping_accessor: str | None) -> None:
        """Best-effort removal of a half-issued account; failures are logged, not raised,
        so the caller sees the original error."""
        log.warning("issuing %s failed; removing what was created", username)
        steps: list[Callable[[], object]] = [
            lambda: kv.delete_metadata_and_all_versions(self._client, username),
            lambda: totp.delete_key(self._client, username),
            lambda: userpass.delete_user(self._client, username),
        ]
        if wrapping_accessor:
            steps.insert(0, lambda: tokens.revoke_accessor(self._client, wrapping_accessor))
        for step in steps:
            try:
                step()
            except VaultError as exc:
                log.error("cleanup after failed issue of %s incomplete: %s", username, exc)

    # -- deliver, activate, verify ---------------------------------------------------------

    def unwrap_account(self, *, username: str, wrapping_token: str) -> AccountSecrets:
        """Check the token's creation path exactly (``POST sys/wrapping/lookup``), then unwrap
        it once (``POST sys/wrapping/unwrap``).

        Raises ``WrappingTokenTampered`` when the token was created anywhere but
        ``credbot-pending/data/<username>`` (it is then left unused), ``WrappingTokenRejected``
        when Vault does not know the token (expired, or somebody unwrapped it first).
        """
        expected = pending_data_path(username)
        info = wrapping.lookup(self._client, wrapping_token)
        if info.creation_path != expected:
            raise WrappingTokenTampered(expected_path=expected, actual_path=info.creation_path)
        body = wrapping.unwrap(self._client, wrapping_token)
        data = (body.get("data") or {}).get("data") or {}
        fields = ("username", "password", "totp_secret", "totp_uri")
        if not all(isinstance(data.get(f), str) for f in fields) or data["username"] != username:
            raise WrappingTokenRejected(f"wrapped secrets for {username!r} are malformed")
        log.info("unwrapped vault account %s", username)
        return AccountSecrets(
            username=username,
            password=data["password"],
            totp_uri=data["totp_uri"],
            totp_secret=data["totp_secret"],
        )

    def activate_account(self, *, username: str, role: str) -> None:
        """``POST auth/credbot/users/{u}`` with ``token_policies=[credbot-role-<role>]`` only,
        so TTLs and CIDR bindings stay. Tokens obtained before keep the pending policy; the
        contractor's next login gets the role. Raises ``VaultNotFound`` if the user is gone.
        """
        policy = role_policy(role)
        if userpass.read_user(self._client, username) is None:
            raise VaultNotFound(f"no Vault user {username!r} to activate")
        userpass.create_or_update_user(self._client, username, token_policies=[policy])
        log.info("activated vault account %s with %s", username, policy)

    def check_totp(self, *, username: str, code: str) -> bool:
        """``POST credbot-totp/code/{u}``: whether ``code`` is valid now.

        A code that is not six digits is ``False`` without asking Vault. Raises
        ``TotpCodeReused`` when Vault has already accepted this code in its window, and
        ``VaultNotFound`` when the account has no key.
        """
        if not _CODE.fullmatch(code):
            return False
        return totp.validate_code(self._client, check_username(username), code)

    # -- revoke, reconcile, health -------------------------------------------------------------

    def revoke_account(
        self, *, username: str, wrapping_accessor: str | None = None
    ) -> RevocationProof:
        """Revoke every token, disable the entity, delete user and TOTP key, revoke an unused
        wrapping token; idempotent. See ``vault.revocation.revoke_account`` for the order."""
        return revocation.revoke_account(
            self._client,
            username,
            mount_accessor=self._accessor(),
            wrapping_accessor=wrapping_accessor,
            pool=self._pool,
        )

    def list_accounts(self) -> list[str]:
        """``LIST auth/credbot/users``: every username, sorted; ``[]`` when none."""
        return userpass.list_users(self._client)

    def iter_accounts(self) -> Iterator[str]:
        """Every username in byte order, one ``LIST auth/credbot/users`` page at a time
        (``userpass.iter_users``): what a reconciliation over many users holds is one page."""
        return userpass.iter_users(self._client)

    def check_health(self) -> None:
        """``GET sys/health``: return if Vault answers unsealed, else ``VaultUnavailable``."""
        health.read_health_status(self._client)

    def _accessor(self) -> str:
        """The userpass mount's accessor (``GET sys/auth/credbot``), read once."""
        if self._mount_accessor is None:
            self._mount_accessor = str(
                mounts.read_auth_method(self._client, USERPASS_MOUNT)["accessor"]
            )
        return self._mount_accessor
