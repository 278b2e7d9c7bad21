"""Where credbot lives inside Vault: mount paths, policy names, the AppRole role.

Every other module takes its paths from here, so the layout is stated once and the shipped
policies in ``vault/policies/`` can be checked against it.
"""

from __future__ import annotations

import re
from typing import Final

from vault.errors import InvalidName

USERPASS_MOUNT: Final = "credbot"
"""userpass auth method for contractors: ``auth/credbot``."""

LEGACY_TOTP_MOUNT: Final = "credbot-totp"
"""The TOTP secrets engine where credbot before login MFA imported one key per contractor.
``credbot vault init`` no longer creates it; revocation still deletes a key left there by an
account issued before the move (``second_factor = totp_engine`` in the database)."""

MFA_ENFORCEMENT: Final = "credbot"
"""The login-MFA enforcement (``identity/mfa/login-enforcement/credbot``) that binds credbot's
TOTP method to ``auth/credbot``: every login on the mount must pass ``sys/mfa/validate``."""

MFA_GENERATE_PATH: Final = "identity/mfa/method/totp/admin-generate"
"""Where a contractor's MFA secret is born; also its wrapping token's exact creation path."""

USERNAME_PREFIX: Final = "ctr-"
"""Every user credbot issues is named ``ctr-…``; the bot's policy lets it bind entity aliases
for such names only."""

ENTITY_PREFIX: Final = "credbot-"
"""Identity entities credbot creates are named ``credbot-<username>``; the bot's policy reaches
only entities with this prefix (``identity/entity/name/credbot-*``)."""

PENDING_MOUNT: Final = "credbot-pending"
"""KV version 2 engine; a secret lives here only for the instant it takes to wrap it."""

TRANSIT_MOUNT: Final = "credbot-transit"
"""Transit secrets engine holding the audit anchor's signing key."""

ANCHOR_KEY: Final = "credbot-audit"
"""The transit key (ed25519, not exportable) that signs the audit chain's head: the bot may
sign and verify with it, never read or export it."""

AUDIT_MOUNT: Final = "credbot-audit"
"""KV version 2 engine (check-and-set required) holding the newest signed audit anchor."""

ANCHOR_PATH: Final = "anchor"
"""``credbot-audit/data/anchor``: the newest signed anchor; only the bot writes it."""

APPROLE_MOUNT: Final = "approle"
APPROLE_ROLE: Final = "credbot"

BOT_POLICY: Final = "credbot-bot"
"""The bot's own least-privilege policy (``vault/policies/credbot-bot.hcl``)."""

PENDING_POLICY: Final = "credbot-pending"
"""Granted to contractors between issue and activation: grants nothing."""

ROLE_POLICY_PREFIX: Final = "credbot-role-"

DEFAULT_ROLES: Final = ("reviewer",)

_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
_ROLE = re.compile(r"[a-z][a-z0-9-]{0,31}")


def check_username(username: str) -> str:
    """Return ``username`` if it is safe to splice into Vault paths, else raise ``InvalidName``.

    Lower-case letters, digits, ``.``, ``_`` and ``-``, at most 64 characters, starting and
    ending with a letter or digit. userpass lower-cases names itself; refusing upper case up
    front keeps the KV path, the entity name and the login path identical.
    """
    if not _NAME.fullmatch(username):
        raise InvalidName(f"invalid Vault username {username!r}")
    return username


def check_new_username(username: str) -> str:
    """``check_username``, and the name must start with ``USERNAME_PREFIX`` (raise
    ``InvalidName``): what ``issue_account`` accepts."""
    if not check_username(username).startswith(USERNAME_PREFIX):
        raise InvalidName(f"new Vault usernames start with {USERNAME_PREFIX!r}: {username!r}")
    return username


def check_role(role: str) -> str:
    """Return ``role`` if it is a valid role name (``[a-z][a-z0-9-]{0,31}``), else raise."""
    if not _ROLE.fullmatch(role):
        raise InvalidName(f"invalid role name {role!r}")
    return role


def role_policy(role: str) -> str:
    """The policy name granted to active contractors of ``role``: ``credbot-role-<role>``."""
    return ROLE_POLICY_PREFIX + check_role(role)


def entity_name(username: str) -> str:
    """``credbot-<username>``: the identity entity holding the contractor's MFA secret."""
    return ENTITY_PREFIX + check_username(username)


def pending_data_path(username: str) -> str:
    """``credbot-pending/data/<username>``: also the exact wrapping creation path."""
    return f"{PENDING_MOUNT}/data/{check_username(username)}"


def pending_metadata_path(username: str) -> str:
    """``credbot-pending/metadata/<username>``: deleting it destroys every version."""
    return f"{PENDING_MOUNT}/metadata/{check_username(username)}"


def login_lease_prefix(username: str) -> str:
    """Lease prefix of every token issued by ``auth/credbot/login/<username>``."""
    return f"auth/{USERPASS_MOUNT}/login/{check_username(username)}"
