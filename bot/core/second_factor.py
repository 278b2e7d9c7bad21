"""Moving contractors from the old TOTP engine to Vault's login MFA.

Accounts issued before login MFA kept their seed as a key in the TOTP secrets engine, and Vault
asked for no code at login. Once ``credbot vault init`` enforces login MFA on ``auth/credbot``,
such an account cannot log in at all (its entity has no MFA secret): nobody is left with
password-only access, but the contractor is locked out until they enrol again. The sweep
therefore reissues them: the old account (user, tokens, old key) is destroyed and a new one,
with its MFA secret born in Vault, goes out behind a new one-time link.
"""

from __future__ import annotations

import logging

from bot.core import issuing
from bot.core.context import Core
from bot.core.errors import CredbotError

log = logging.getLogger("credbot.core.second_factor")

MOVE_REASON = "moved to login MFA: every login now asks for a code"


def move_to_login_mfa(core: Core, *, actor: str, dry_run: bool = False) -> list[str]:
    """Reissue every ``issued`` or ``active`` contractor still on an account from before login
    MFA; return their ids (with ``dry_run``, those that would be). A contractor whose reissue
    fails (Vault down, moved on meanwhile) is logged and left for the next run."""
    moved = []
    for contractor in core.store.on_totp_engine():
        if not dry_run:
            try:
                issuing.issue(core, contractor.id, actor=actor, reason=MOVE_REASON)
            except CredbotError as exc:
                log.warning("could not move %s to login MFA yet: %s", contractor.id, exc)
                continue
        moved.append(contractor.id)
    return moved
