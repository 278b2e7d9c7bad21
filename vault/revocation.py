"""Revoking a contractor's account completely, and proving it by reading Vault back."""

from __future__ import annotations

import logging

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
) -> RevocationProof:
    """Take away everything the account grants; idempotent; return what Vault says afterwards.

    Order matters, and differs from the obvious one on purpose:

    1. disable the identity entity (``POST identity/entity/id/{id}``): every token of the
       contractor stops working at once, even one that escaped lease revocation;
    2. delete the user (``DELETE auth/credbot/users/{u}``): no new login can start;
    3. revoke every login lease (``POST sys/leases/revoke-prefix/auth/credbot/login/{u}``,
       synchronously): deleting a user leaves its tokens valid, this kills them, including
       any minted between steps 1 and 2;
    4. delete the TOTP key and any pending KV copy of the secrets;
    5. revoke the wrapping token by accessor, if one is given and still unused.

    Every step treats "already gone" as success, so a sweep can simply call this again after
    a crash or an outage.
    """
    check_username(username)
    entity = identity.lookup_entity(
        client, alias_name=username, alias_mount_accessor=mount_accessor
    )
    if entity is not None and not entity.get("disabled"):
        identity.disable_entity(client, str(entity["id"]))
    userpass.delete_user(client, username)
    leases.revoke_prefix(client, login_lease_prefix(username))
    totp.delete_key(client, username)
    kv.delete_metadata_and_all_versions(client, username)
    if wrapping_accessor:
        revoked = tokens.revoke_accessor(client, wrapping_accessor)
        log.debug("wrapping token of %s %s", username, "revoked" if revoked else "already gone")
    proof = read_revocation_proof(client, username, mount_accessor=mount_accessor)
    log.info("revoked vault account %s (complete=%s)", username, proof.complete)
    return proof


def read_revocation_proof(
    client: hvac.Client, username: str, *, mount_accessor: str
) -> RevocationProof:
    """Read back user, TOTP key, live login leases and entity state for ``username``.

    Calls ``GET auth/credbot/users/{u}``, ``GET credbot-totp/keys/{u}``,
    ``LIST sys/leases/lookup/auth/credbot/login/{u}/`` and ``POST identity/lookup/entity``.
    """
    entity = identity.lookup_entity(
        client, alias_name=username, alias_mount_accessor=mount_accessor
    )
    return RevocationProof(
        username=username,
        user_absent=userpass.read_user(client, username) is None,
        totp_key_absent=totp.read_key(client, username) is None,
        live_leases=len(leases.list_leases(client, login_lease_prefix(username))),
        entity_disabled=None if entity is None else bool(entity.get("disabled")),
    )
