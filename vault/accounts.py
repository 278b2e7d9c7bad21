"""``VaultAccounts``: the ``VaultBackend`` the domain core talks to.

Each method composes the per-engine modules (``userpass``, ``identity``, ``login_mfa``, ``kv``,
``wrapping``, ``revocation``) and raises only ``vault.errors`` classes.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import hvac

from vault import (
    health,
    identity,
    kv,
    login,
    login_mfa,
    mounts,
    revocation,
    tokens,
    userpass,
    wrapping,
)
from vault.client import with_token
from vault.errors import (
    UsernameTaken,
    VaultError,
    VaultNotFound,
    WrappingTokenRejected,
    WrappingTokenTampered,
)
from vault.layout import (
    MFA_ENFORCEMENT,
    MFA_GENERATE_PATH,
    PENDING_POLICY,
    USERPASS_MOUNT,
    check_new_username,
    pending_data_path,
    role_policy,
)
from vault.models import (
    DEFAULT_TOKEN_RULES,
    AccountSecrets,
    ContractorTokenRules,
    Delivery,
    IssuedAccount,
    RevocationProof,
)

log = logging.getLogger(__name__)

PASSWORD_BYTES = 32
"""256 bits from ``secrets``; ``token_urlsafe`` renders them as 43 URL-safe characters."""


class VaultAccounts:
    """Contractor accounts in Vault: a userpass user, an identity entity holding its login-MFA
    secret, and a wrapped delivery of both.

    ``client`` must carry a token with the ``credbot-bot`` policy (AppRole in production).
    ``tokens`` are the TTLs and CIDR bindings of every token a contractor obtains by logging
    in: the same rules ``credbot vault init`` wrote into that policy, which allows no others.
    """

    def __init__(
        self, *, client: hvac.Client, tokens: ContractorTokenRules = DEFAULT_TOKEN_RULES
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._mount_accessor: str | None = None
        self._mfa_method_id: str | None = None
        self._pool = ThreadPoolExecutor(max_workers=5, thread_name_prefix="credbot-vault")

    # -- issue ---------------------------------------------------------------------------------

    def issue_account(self, *, username: str, wrap_ttl: timedelta) -> IssuedAccount:
        """Create the user (policy ``credbot-pending``), its identity entity and alias, have
        Vault generate the entity's login-MFA secret, and return the password and the secret
        as two wrapping tokens, each created at its exact source path.

        Three rounds of concurrent calls: ``POST auth/credbot/users/{u}``,
        ``POST identity/entity/name/credbot-{u}`` and ``POST credbot-pending/data/{u}``; then
        ``POST identity/entity-alias``, ``POST identity/mfa/method/totp/admin-generate``
        (wrapped) and ``GET credbot-pending/data/{u}`` (wrapped); then
        ``DELETE credbot-pending/metadata/{u}``. If any step fails, everything created so far
        is revoked (``revoke_account``; a wrapping token already made opens nothing then) and
        the typed error re-raised. Raises
        ``UsernameTaken`` for a name whose user or entity exists, ``InvalidName`` for one that
        does not start ``ctr-``.
        """
        check_new_username(username)
        self._refuse_taken(username)
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        accessor, method_id = self._accessor(), self.mfa_method_id()
        try:
            _, entity_id, _ = revocation.run_concurrently(
                self._pool,
                [
                    lambda: userpass.create_or_update_user(
                        self._client,
                        username,
                        password=password,
                        token_policies=[PENDING_POLICY],
                        token_no_default_policy=True,
                        token_ttl=self._tokens.ttl,
                        token_max_ttl=self._tokens.max_ttl,
                        token_bound_cidrs=list(self._tokens.bound_cidrs) or None,
                    ),
                    lambda: identity.create_entity_by_name(self._client, username),
                    lambda: kv.create_or_update_secret(
                        self._client, username, {"username": username, "password": password}
                    ),
                ],
            )
            _, mfa_wrap, password_wrap = revocation.run_concurrently(
                self._pool,
                [
                    lambda: identity.create_entity_alias(
                        self._client,
                        username=username,
                        canonical_id=entity_id,
                        mount_accessor=accessor,
                    ),
                    lambda: login_mfa.admin_generate_wrapped(
                        self._client, method_id=method_id, entity_id=entity_id, wrap_ttl=wrap_ttl
                    ),
                    lambda: kv.read_secret_wrapped(self._client, username, wrap_ttl),
                ],
            )
            kv.delete_metadata_and_all_versions(self._client, username)
        except BaseException:
            log.warning("issuing %s failed; removing what was created", username)
            self._undo_issue(username)
            raise
        log.info("issued vault account %s", username)
        return IssuedAccount(
            username=username,
            delivery=Delivery(password=password_wrap.token, mfa_secret=mfa_wrap.token),
            wrapping_accessors=(password_wrap.accessor, mfa_wrap.accessor),
            wrap_expires_at=min(password_wrap.expires_at, mfa_wrap.expires_at),
        )

    def _refuse_taken(self, username: str) -> None:
        """Raise ``UsernameTaken`` if the user or its entity exists already."""
        if userpass.read_user(self._client, username) is not None:
            raise UsernameTaken(username=username, reason="a Vault user with this name exists")
        if identity.read_entity_by_name(self._client, username) is not None:
            raise UsernameTaken(username=username, reason="its identity entity exists")

    def _undo_issue(self, username: str) -> None:
        """Revoke a half-issued account; a failure is logged, not raised, so the caller sees
        the original error (the account record stays unrevoked, and the sweep finishes it)."""
        try:
            self.revoke_account(username=username)
        except VaultError as exc:
            log.error("cleanup after failed issue of %s incomplete: %s", username, exc)

    # -- deliver, prove, activate --------------------------------------------------------------

    def unwrap_account(self, *, username: str, delivery: Delivery) -> AccountSecrets:
        """Check both tokens' creation paths exactly (``POST sys/wrapping/lookup``, the two
        concurrently), then unwrap each once (``POST sys/wrapping/unwrap``, concurrently: both
        were checked, so neither is unwrapped unless both are credbot's).

        Raises ``WrappingTokenTampered`` when a token was created anywhere but
        ``credbot-pending/data/<username>`` (password) or ``MFA_GENERATE_PATH`` (secret); both
        are then left unused. ``WrappingTokenRejected`` when Vault does not know a token
        (expired, or somebody unwrapped it first).
        """
        tokens = (delivery.password, delivery.mfa_secret)
        expected = (pending_data_path(username), MFA_GENERATE_PATH)
        infos = revocation.run_concurrently(
            self._pool,
            [partial(wrapping.lookup, self._client, token) for token in tokens],
        )
        for info, path in zip(infos, expected, strict=True):
            if info.creation_path != path:
                raise WrappingTokenTampered(expected_path=path, actual_path=info.creation_path)
        password_body, mfa_body = revocation.run_concurrently(
            self._pool,
            [partial(wrapping.unwrap, self._client, token) for token in tokens],
        )
        stored = (password_body.get("data") or {}).get("data") or {}
        generated = mfa_body.get("data") or {}
        if stored.get("username") != username or not isinstance(stored.get("password"), str):
            raise WrappingTokenRejected(f"wrapped password for {username!r} is malformed")
        seed, uri = _relabelled(generated.get("url"), username)
        log.info("unwrapped vault account %s", username)
        return AccountSecrets(
            username=username, password=stored["password"], totp_uri=uri, totp_secret=seed
        )

    def prove_login(self, *, username: str, password: str, code: str) -> None:
        """Log in as the contractor exactly as the review tool does (``vault.login.
        login_with_totp``), then end the token at once (``POST auth/token/revoke-self`` with
        it): a password and a code that open Vault together, proven against Vault itself.

        Raises ``LoginRefused``, ``MfaCodeRejected``, ``MfaAttemptsExceeded``,
        ``MfaNotEnforced`` (the password alone was enough: never a success) and the usual
        ``vault.errors``.
        """
        anonymous = with_token(self._client, None)  # a login carries no token of credbot's
        auth = login.login_with_totp(anonymous, username, password, code)
        tokens.revoke_self(with_token(self._client, str(auth["client_token"])))
        log.info("proved the first login of %s and ended its token", username)

    def activate_account(self, *, username: str, role: str) -> None:
        """``POST auth/credbot/users/{u}`` with ``token_policies=[credbot-role-<role>]`` only,
        so TTLs and CIDR bindings stay; the contractor's next login gets the role. Raises
        ``VaultNotFound`` if the user is gone.
        """
        policy = role_policy(role)
        if userpass.read_user(self._client, username) is None:
            raise VaultNotFound(f"no Vault user {username!r} to activate")
        userpass.create_or_update_user(self._client, username, token_policies=[policy])
        log.info("activated vault account %s with %s", username, policy)

    # -- revoke, reconcile, health -------------------------------------------------------------

    def revoke_account(self, *, username: str, legacy_totp_key: bool = False) -> RevocationProof:
        """Delete the user, end every token, destroy the MFA secret and the entity (and an old
        TOTP-engine key with ``legacy_totp_key``); idempotent. See
        ``vault.revocation.revoke_account`` for the order and why unused wrapping tokens are
        left to expire."""
        return revocation.revoke_account(
            self._client,
            username,
            mfa_method_id=self.mfa_method_id(),
            legacy_totp_key=legacy_totp_key,
            pool=self._pool,
        )

    def iter_accounts(self) -> Iterator[str]:
        """Every username in byte order, one ``LIST auth/credbot/users`` page at a time
        (``userpass.iter_users``): what a reconciliation over many users holds is one page."""
        return userpass.iter_users(self._client)

    def check_health(self) -> None:
        """``GET sys/health``: return if Vault answers unsealed, else ``VaultUnavailable``."""
        health.read_health_status(self._client)

    def mfa_method_id(self) -> str:
        """credbot's TOTP method, read once from its enforcement
        (``GET identity/mfa/login-enforcement/credbot``). Raises ``MfaNotEnforced``-like
        ``VaultNotFound`` when ``credbot vault init`` has not set login MFA up."""
        if self._mfa_method_id is None:
            enforcement = login_mfa.read_login_enforcement(self._client, MFA_ENFORCEMENT)
            method_ids = (enforcement or {}).get("mfa_method_ids") or []
            if not method_ids:
                raise VaultNotFound(
                    f"no login-MFA enforcement {MFA_ENFORCEMENT!r}: run `credbot vault init`"
                )
            self._mfa_method_id = str(method_ids[0])
        return self._mfa_method_id

    def _accessor(self) -> str:
        """The userpass mount's accessor (``GET sys/auth/credbot``), read once."""
        if self._mount_accessor is None:
            self._mount_accessor = str(
                mounts.read_auth_method(self._client, USERPASS_MOUNT)["accessor"]
            )
        return self._mount_accessor


def _relabelled(url: object, username: str) -> tuple[str, str]:
    """The seed and an ``otpauth://`` URI labelled ``<issuer>:<username>``, from the URL
    ``admin-generate`` answered (labelled by entity id, which no person recognises). The seed
    is Vault's; only the label changes. Raises ``WrappingTokenRejected`` for a malformed URL."""
    parts = urlsplit(url) if isinstance(url, str) else None
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} if parts else {}
    seed, issuer = query.get("secret"), query.get("issuer")
    if (
        parts is None
        or parts.scheme != "otpauth"
        or parts.netloc != "totp"
        or not seed
        or not issuer
    ):
        raise WrappingTokenRejected(f"wrapped MFA secret for {username!r} is malformed")
    params: dict[str, str] = {
        k: query[k] for k in ("secret", "issuer", "algorithm", "digits", "period") if k in query
    }
    label = quote(f"{issuer}:{username}", safe=":@")
    return seed, f"otpauth://totp/{label}?{urlencode(params)}"
