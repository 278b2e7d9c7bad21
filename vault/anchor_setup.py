"""``credbot vault init``'s step for the audit anchor: the signing key and the anchor's KV rules.

Run with an admin token after the ``credbot-transit`` and ``credbot-audit`` mounts exist. Like the
rest of the set-up it compares and writes only the difference.
"""

from __future__ import annotations

import hvac

from vault import kv, transit
from vault.errors import VaultSetupConflict
from vault.layout import ANCHOR_KEY, AUDIT_MOUNT, TRANSIT_MOUNT


def ensure_anchoring(client: hvac.Client) -> list[tuple[str, bool]]:
    """Create the ed25519 signing key if missing, and require check-and-set on every write to
    ``credbot-audit``. Returns each item with whether it was already in place.

    Raises ``VaultSetupConflict`` when a key of that name exists but is not an ed25519 key, or
    can be exported or backed up in plaintext: Vault cannot make such a key private again,
    so anchors signed with it would prove nothing. (An admin must remove or rename it.)
    """
    items: list[tuple[str, bool]] = []
    key_item = f"{TRANSIT_MOUNT}/keys/{ANCHOR_KEY}"
    key = transit.read_key(client, ANCHOR_KEY)
    if key is None:
        transit.create_key(client, ANCHOR_KEY)
    else:
        _refuse_unsafe_key(key_item, key)
    items.append((key_item, key is not None))
    cas_required = kv.read_configuration(client, mount=AUDIT_MOUNT).get("cas_required") is True
    if not cas_required:
        kv.configure(client, mount=AUDIT_MOUNT, cas_required=True)
    items.append((f"{AUDIT_MOUNT}/config cas_required", cas_required))
    return items


def _refuse_unsafe_key(item: str, key: dict[str, object]) -> None:
    """Raise ``VaultSetupConflict`` unless ``key`` is a private ed25519 key."""
    exposed = [flag for flag in ("exportable", "allow_plaintext_backup") if key.get(flag)]
    if key.get("type") != transit.SIGNING_KEY_TYPE or exposed:
        actual = f"{key.get('type')} key" + (f" ({', '.join(exposed)})" if exposed else "")
        raise VaultSetupConflict(
            path=item, expected=f"{transit.SIGNING_KEY_TYPE} key, not exportable", actual=actual
        )
