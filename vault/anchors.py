"""``VaultAnchors``: where the core keeps the audit chain's signed anchor, outside the database.

Signing happens in Vault's transit engine with a key the bot can use but not read or export;
the newest anchor lives at ``credbot-audit/data/anchor``, which only the bot (and Vault admins)
can write and nothing in the database can reach. The core decides what is signed and when the
anchor may move (``bot.core.anchoring``); this class only carries the calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import hvac

from vault import kv, transit
from vault.errors import VersionConflict
from vault.layout import ANCHOR_KEY, ANCHOR_PATH, AUDIT_MOUNT


class VaultAnchors:
    """The ``AuditAnchors`` of the core, on a client with the ``credbot-bot`` policy."""

    def __init__(self, *, client: hvac.Client) -> None:
        self._client = client

    def sign(self, message: bytes) -> str:
        """``POST credbot-transit/sign/credbot-audit``: Vault's signature of ``message``."""
        return transit.sign_data(self._client, ANCHOR_KEY, message)

    def verify(self, message: bytes, signature: str) -> bool:
        """``POST credbot-transit/verify/credbot-audit``: whether the key signed ``message``."""
        return transit.verify_signed_data(self._client, ANCHOR_KEY, message, signature)

    def read_anchor(self) -> tuple[dict[str, Any], int] | None:
        """``GET credbot-audit/data/anchor``: the stored anchor's fields and KV version, or
        ``None`` before the first anchor."""
        return kv.read_secret_version(self._client, ANCHOR_PATH, mount=AUDIT_MOUNT)

    def write_anchor(self, fields: Mapping[str, Any], *, version: int) -> bool:
        """``POST credbot-audit/data/anchor`` with check-and-set on ``version`` (0: none yet):
        ``False`` when another writer moved the anchor since it was read."""
        try:
            kv.create_or_update_secret_cas(
                self._client, ANCHOR_PATH, fields, cas=version, mount=AUDIT_MOUNT
            )
        except VersionConflict:
            return False
        return True
