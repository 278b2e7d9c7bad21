"""The raw side of the benchmarks: the Vault calls credbot makes, with plain hvac and nothing else.

This is what a user could run instead of credbot: the same HTTP calls, in the same rounds, with
the same concurrency (credbot's ``VaultAccounts`` runs the calls of a round at once on a pool of
five threads; so does :class:`RawVault`). hvac's own API is used where it has one and sends the
same request; ``client.adapter`` where it has none (login MFA, ``revoke-prefix`` with ``sync``,
wrapped reads). No name checks, no error translation, no logging, no database.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import hvac
import hvac.exceptions

from vault.accounts import PASSWORD_BYTES
from vault.client import ttl
from vault.layout import (
    ENTITY_PREFIX,
    MFA_ENFORCEMENT,
    MFA_GENERATE_PATH,
    PENDING_MOUNT,
    PENDING_POLICY,
    USERPASS_MOUNT,
)
from vault.models import DEFAULT_TOKEN_RULES
from vault.transport import Urllib3Session

POOL_THREADS = 5
"""As ``VaultAccounts``: the calls of one round run concurrently on five threads."""
RELOGIN_AFTER_S = 600.0
"""The bot's AppRole tokens live 20 minutes; the raw client logs in again well before."""
WRAP_TTL = "3600s"
TOKEN_TTL, TOKEN_MAX_TTL = ttl(DEFAULT_TOKEN_RULES.ttl), ttl(DEFAULT_TOKEN_RULES.max_ttl)
"""The TTLs credbot's policy pins by default (``credbot vault init`` with default settings)."""
"""``VaultAccounts``' defaults (one hour, eight hours), as credbot sends them."""


@dataclass(frozen=True)
class RawProof:
    """What the raw read-back found; :attr:`complete` is ``RevocationProof.complete``'s rule
    (for an account issued with login MFA: no legacy TOTP key to read)."""

    user_absent: bool
    entity_absent: bool
    live_leases: int

    @property
    def complete(self) -> bool:
        return self.user_absent and self.entity_absent and self.live_leases == 0


class RawVault:
    """A plain ``hvac.Client`` logged in through AppRole (the bot's role and policy, its own
    SecretID and HTTP session), a pool of :data:`POOL_THREADS` threads, and what credbot reads
    once and caches: the userpass mount's accessor and the login-MFA method id. Its HTTP
    session is hvac's own (``requests``) unless ``session`` is given (credbot's transport)."""

    def __init__(
        self, addr: str, *, role_id: str, secret_id: str, session: Urllib3Session | None = None
    ) -> None:
        self.client = hvac.Client(url=addr, session=session)
        self.pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="raw-vault")
        self._role_id = role_id
        self._secret_id = secret_id
        self._logged_in_at = -RELOGIN_AFTER_S
        self.ensure_login()
        auth = self.client.adapter.get(f"/v1/sys/auth/{USERPASS_MOUNT}")
        self.mount_accessor = str((auth.get("data") or auth)["accessor"])
        enforcement = self.client.adapter.get(
            f"/v1/identity/mfa/login-enforcement/{MFA_ENFORCEMENT}"
        )
        self.mfa_method_id = str(enforcement["data"]["mfa_method_ids"][0])

    def ensure_login(self) -> None:
        """Log in again when the token is getting old (call it outside the timed sections)."""
        if time.monotonic() - self._logged_in_at > RELOGIN_AFTER_S:
            self.client.auth.approle.login(role_id=self._role_id, secret_id=self._secret_id)
            self._logged_in_at = time.monotonic()

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def run_round(pool: Executor, calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run one round's calls concurrently; their results in order (the first failure raised)."""
    futures = [pool.submit(call) for call in calls]
    wait(futures)
    return [future.result() for future in futures]


def _entity(username: str) -> str:
    return f"{ENTITY_PREFIX}{username}"


def _read_or_none(call: Callable[[], Any]) -> Any:
    """A read; ``None`` when Vault answers 404."""
    try:
        return call()
    except hvac.exceptions.InvalidPath:
        return None


def _ignore_missing(call: Callable[[], object]) -> None:
    """A delete; "already gone" (404) is success, as in credbot."""
    with suppress(hvac.exceptions.InvalidPath):
        call()


# -- issue -------------------------------------------------------------------------------------


def raw_issue(raw: RawVault, username: str) -> tuple[str, str]:
    """The calls of ``VaultAccounts.issue_account``, in its rounds; returns the two wrapping
    tokens (password, MFA secret).

    0. one after the other: ``GET auth/credbot/users/{u}`` and
       ``GET identity/entity/name/credbot-{u}`` (both must be 404: the name is free);
    1. concurrently: ``POST auth/credbot/users/{u}``, ``POST identity/entity/name/credbot-{u}``,
       ``POST credbot-pending/data/{u}``;
    2. concurrently: ``POST identity/entity-alias``,
       ``POST identity/mfa/method/totp/admin-generate`` (wrapped),
       ``GET credbot-pending/data/{u}`` (wrapped);
    3. ``DELETE credbot-pending/metadata/{u}``.
    """
    client, adapter = raw.client, raw.client.adapter
    if _read_or_none(lambda: client.auth.userpass.read_user(username, mount_point=USERPASS_MOUNT)):
        raise RuntimeError(f"user {username} exists")
    if _read_or_none(lambda: client.secrets.identity.read_entity_by_name(_entity(username))):
        raise RuntimeError(f"entity of {username} exists")
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    _, entity, _ = run_round(
        raw.pool,
        [
            lambda: client.auth.userpass.create_or_update_user(
                username,
                password,
                mount_point=USERPASS_MOUNT,
                token_policies=[PENDING_POLICY],
                token_no_default_policy=True,
                token_ttl=TOKEN_TTL,
                token_max_ttl=TOKEN_MAX_TTL,
            ),
            lambda: client.secrets.identity.create_or_update_entity_by_name(
                _entity(username), metadata={"username": username}
            ),
            lambda: client.secrets.kv.v2.create_or_update_secret(
                username, {"username": username, "password": password}, mount_point=PENDING_MOUNT
            ),
        ],
    )
    entity_id = entity["data"]["id"]
    _, mfa, stored = run_round(
        raw.pool,
        [
            lambda: client.secrets.identity.create_or_update_entity_alias(
                username, canonical_id=entity_id, mount_accessor=raw.mount_accessor
            ),
            lambda: adapter.post(
                f"/v1/{MFA_GENERATE_PATH}",
                json={"method_id": raw.mfa_method_id, "entity_id": entity_id},
                wrap_ttl=WRAP_TTL,
            ),
            lambda: adapter.get(f"/v1/{PENDING_MOUNT}/data/{username}", wrap_ttl=WRAP_TTL),
        ],
    )
    client.secrets.kv.v2.delete_metadata_and_all_versions(username, mount_point=PENDING_MOUNT)
    return stored["wrap_info"]["token"], mfa["wrap_info"]["token"]


# -- revoke ------------------------------------------------------------------------------------


def raw_revoke(raw: RawVault, username: str) -> RawProof:
    """The calls of ``vault.revocation.revoke_account``, in its four rounds:

    1. concurrently: ``DELETE auth/credbot/users/{u}``, ``GET identity/entity/name/credbot-{u}``,
       ``DELETE credbot-pending/metadata/{u}``;
    2. concurrently: ``POST sys/leases/revoke-prefix/auth/credbot/login/{u}`` with
       ``{"sync": true}`` (hvac's ``sys.revoke_prefix`` sends no ``sync``: the adapter), and,
       if the entity exists, ``POST identity/entity/name/credbot-{u}`` with
       ``{"disabled": true}`` and ``POST identity/mfa/method/totp/admin-destroy``;
    3. if the entity exists: ``DELETE identity/entity/name/credbot-{u}``;
    4. concurrently, the proof: ``GET auth/credbot/users/{u}``,
       ``GET identity/entity/name/credbot-{u}``,
       ``LIST sys/leases/lookup/auth/credbot/login/{u}/``.
    """
    client, adapter = raw.client, raw.client.adapter
    prefix = f"auth/{USERPASS_MOUNT}/login/{username}"
    name = _entity(username)

    _, entity, _, *_ = run_round(
        raw.pool,
        [
            lambda: _ignore_missing(
                lambda: client.auth.userpass.delete_user(username, mount_point=USERPASS_MOUNT)
            ),
            lambda: _read_or_none(lambda: client.secrets.identity.read_entity_by_name(name)),
            lambda: _ignore_missing(
                lambda: client.secrets.kv.v2.delete_metadata_and_all_versions(
                    username, mount_point=PENDING_MOUNT
                )
            ),
        ],
    )
    second: list[Callable[[], Any]] = [
        lambda: adapter.post(f"/v1/sys/leases/revoke-prefix/{prefix}", json={"sync": True})
    ]
    if entity is not None:
        entity_id = entity["data"]["id"]
        second += [
            lambda: client.secrets.identity.create_or_update_entity_by_name(name, disabled=True),
            lambda: adapter.post(
                "/v1/identity/mfa/method/totp/admin-destroy",
                json={"method_id": raw.mfa_method_id, "entity_id": entity_id},
            ),
        ]
    run_round(raw.pool, second)
    if entity is not None:
        client.secrets.identity.delete_entity_by_name(name)

    def live_leases() -> int:
        listed = _read_or_none(lambda: client.sys.list_leases(f"{prefix}/"))
        return len(((listed or {}).get("data") or {}).get("keys") or [])

    user, entity_after, live = run_round(
        raw.pool,
        [
            lambda: _read_or_none(
                lambda: client.auth.userpass.read_user(username, mount_point=USERPASS_MOUNT)
            ),
            lambda: _read_or_none(lambda: client.secrets.identity.read_entity_by_name(name)),
            live_leases,
        ],
    )
    return RawProof(user_absent=user is None, entity_absent=entity_after is None, live_leases=live)
