"""Revoking a contractor's account completely, and proving it by reading Vault back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, wait
from typing import Any

import hvac

from vault import identity, kv, leases, tokens, totp, userpass
from vault.layout import check_username, login_lease_prefix
from vault.models import RevocationProof

log = logging.getLogger(__name__)


def revoke_account(
    client: hvac.Client,
    username: str,
    *,
    mount_accessor: str,
    wrapping_accessor: str | None = None,
    pool: Executor,
) -> RevocationProof:
    """Take away everything the account grants; idempotent; return what Vault says afterwards.

    Three rounds; the calls inside a round are independent and run concurrently on ``pool``:

    1. stop new use: disable the identity entity (``POST identity/lookup/entity``, then
       ``POST identity/entity/id/{id}``), which makes every token of the contractor fail at
       once; delete the user (``DELETE auth/credbot/users/{u}``), so no new login can start;
       delete the TOTP key (``DELETE credbot-totp/keys/{u}``) and any pending KV copy
       (``DELETE credbot-pending/metadata/{u}``); revoke an unused wrapping token
       (``POST auth/token/revoke-accessor``);
    2. revoke every login lease (``POST sys/leases/revoke-prefix/auth/credbot/login/{u}``,
       synchronously): deleting a user leaves its tokens valid, this kills them, including
       any minted while round 1 ran; it must come after the user is gone;
    3. read everything back for the proof (``read_revocation_proof``).

    Every step treats "already gone" as success, so a sweep can simply call this again after
    a crash or an outage.
    """
    check_username(username)
    first_round: list[Callable[[], object]] = [
        lambda: _disable_entity(client, username, mount_accessor=mount_accessor),
        lambda: userpass.delete_user(client, username),
        lambda: totp.delete_key(client, username),
        lambda: kv.delete_metadata_and_all_versions(client, username),
    ]
    if wrapping_accessor:
        first_round.append(lambda: tokens.revoke_accessor(client, wrapping_accessor))
    _all(pool, first_round)
    leases.revoke_prefix(client, login_lease_prefix(username))
    proof = read_revocation_proof(client, username, mount_accessor=mount_accessor, pool=pool)
    log.info("revoked vault account %s (complete=%s)", username, proof.complete)
    return proof


def _disable_entity(client: hvac.Client, username: str, *, mount_accessor: str) -> None:
    """Disable the contractor's identity entity, if they ever logged in (else none exists)."""
    entity = identity.lookup_entity(
        client, alias_name=username, alias_mount_accessor=mount_accessor
    )
    if entity is not None and not entity.get("disabled"):
        identity.disable_entity(client, str(entity["id"]))


def read_revocation_proof(
    client: hvac.Client, username: str, *, mount_accessor: str, pool: Executor
) -> RevocationProof:
    """Read back user, TOTP key, live login leases and entity state for ``username``.

    Calls ``GET auth/credbot/users/{u}``, ``GET credbot-totp/keys/{u}``,
    ``LIST sys/leases/lookup/auth/credbot/login/{u}/`` and ``POST identity/lookup/entity``,
    concurrently on ``pool``.
    """
    entity, user, key, live = _all(
        pool,
        [
            lambda: identity.lookup_entity(
                client, alias_name=username, alias_mount_accessor=mount_accessor
            ),
            lambda: userpass.read_user(client, username),
            lambda: totp.read_key(client, username),
            lambda: leases.list_leases(client, login_lease_prefix(username)),
        ],
    )
    return RevocationProof(
        username=username,
        user_absent=user is None,
        totp_key_absent=key is None,
        live_leases=len(live),
        entity_disabled=None if entity is None else bool(entity.get("disabled")),
    )


def _all(pool: Executor, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run independent Vault calls concurrently; return their results in order, or raise the
    first failure once all have finished (no call is left running behind the caller)."""
    futures = [pool.submit(call) for call in calls]
    wait(futures)
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]
