"""Revoking a contractor's account completely, and proving it by reading Vault back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, wait
from typing import Any

import hvac

from vault import identity, kv, leases, legacy_totp, login_mfa, userpass
from vault.layout import check_username, login_lease_prefix
from vault.models import RevocationProof

log = logging.getLogger(__name__)


def revoke_account(
    client: hvac.Client,
    username: str,
    *,
    mfa_method_id: str,
    legacy_totp_key: bool = False,
    pool: Executor,
) -> RevocationProof:
    """Take away everything the account grants; idempotent; return what Vault says afterwards.

    Four rounds; the calls inside a round are independent and run concurrently on ``pool``:

    1. stop new use: delete the user (``DELETE auth/credbot/users/{u}``), so no new login can
       start; read the entity (``GET identity/entity/name/credbot-{u}``); delete any pending
       KV copy (``DELETE credbot-pending/metadata/{u}``) and, for an account issued before
       login MFA, its old TOTP key (``DELETE credbot-totp/keys/{u}``);
    2. end every token: disable the entity (``POST identity/entity/name/credbot-{u}``), which
       makes its tokens fail at once; revoke every login lease
       (``POST sys/leases/revoke-prefix/auth/credbot/login/{u}``, synchronously: deleting a
       user leaves its tokens valid); destroy the MFA secret
       (``POST identity/mfa/method/totp/admin-destroy``);
    3. delete the entity with its alias (``DELETE identity/entity/name/credbot-{u}``);
    4. read everything back for the proof (``read_revocation_proof``).

    An unused wrapping token of the account is left to expire with its link: it holds the
    password of a user that no longer exists and the seed of an entity that no longer exists,
    so it opens nothing; and the bot's policy has no way to revoke tokens by accessor, which
    would let it revoke anyone's token.

    Every step treats "already gone" as success, so a sweep can simply call this again after
    a crash or an outage. A step that fails does not stop the others (an entity still gets
    disabled when deleting a KV copy is refused); the first failure is raised at the end.
    """
    check_username(username)
    first_round: list[Callable[[], object]] = [
        lambda: userpass.delete_user(client, username),
        lambda: identity.read_entity_by_name(client, username),
        lambda: kv.delete_metadata_and_all_versions(client, username),
    ]
    if legacy_totp_key:
        first_round.append(lambda: legacy_totp.delete_key(client, username))
    failures: list[BaseException] = []
    entity = _attempt(pool, first_round, failures)[1]
    second_round: list[Callable[[], object]] = [
        lambda: leases.revoke_prefix(client, login_lease_prefix(username))
    ]
    if entity is not None:
        entity_id = str(entity["id"])
        second_round += [
            lambda: identity.disable_entity_by_name(client, username),
            lambda: login_mfa.admin_destroy(client, method_id=mfa_method_id, entity_id=entity_id),
        ]
    _attempt(pool, second_round, failures)
    if entity is not None:
        _attempt(pool, [lambda: identity.delete_entity_by_name(client, username)], failures)
    if failures:
        raise failures[0]
    proof = read_revocation_proof(client, username, legacy_totp_key=legacy_totp_key, pool=pool)
    log.info("revoked vault account %s (complete=%s)", username, proof.complete)
    return proof


def read_revocation_proof(
    client: hvac.Client, username: str, *, legacy_totp_key: bool = False, pool: Executor
) -> RevocationProof:
    """Read back user, entity (with its MFA secret), live login leases and, for an account
    issued before login MFA, its old TOTP key.

    Calls ``GET auth/credbot/users/{u}``, ``GET identity/entity/name/credbot-{u}``,
    ``LIST sys/leases/lookup/auth/credbot/login/{u}/`` (and ``GET credbot-totp/keys/{u}``),
    concurrently on ``pool``.
    """
    reads: list[Callable[[], Any]] = [
        lambda: userpass.read_user(client, username),
        lambda: identity.read_entity_by_name(client, username),
        lambda: leases.list_leases(client, login_lease_prefix(username)),
    ]
    if legacy_totp_key:
        reads.append(lambda: legacy_totp.read_key_exists(client, username))
    user, entity, live, *legacy_key = run_concurrently(pool, reads)
    return RevocationProof(
        username=username,
        user_absent=user is None,
        entity_absent=entity is None,
        live_leases=len(live),
        legacy_totp_key_absent=(not legacy_key[0]) if legacy_key else None,
    )


def run_concurrently(pool: Executor, calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run independent Vault calls concurrently; return their results in order, or raise the
    first failure once all have finished (no call is left running behind the caller)."""
    failures: list[BaseException] = []
    results = _attempt(pool, calls, failures)
    if failures:
        raise failures[0]
    return results


def _attempt(
    pool: Executor, calls: Sequence[Callable[[], Any]], failures: list[BaseException]
) -> list[Any]:
    """Run independent calls concurrently and wait for all; results in order (``None`` for a
    call that failed), failures appended to ``failures``."""
    futures = [pool.submit(call) for call in calls]
    wait(futures)
    results = []
    for future in futures:
        error = future.exception()
        failures.extend([error] if error is not None else [])
        results.append(None if error is not None else future.result())
    return results
