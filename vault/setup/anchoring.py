"""``credbot vault init``'s steps for the audit anchor: the signing key and the anchor's KV rules.

They apply after the ``credbot-transit`` and ``credbot-audit`` mounts exist (earlier steps of
the same plan create them when missing).
"""

from __future__ import annotations

import hvac

from vault import kv, mounts, transit
from vault.errors import VaultSetupConflict
from vault.layout import ANCHOR_KEY, AUDIT_MOUNT, TRANSIT_MOUNT
from vault.setup.plan import SetupContext, Step, create, in_place, update


def plan_anchoring(client: hvac.Client) -> list[Step]:
    """The ed25519 signing key (created if missing) and check-and-set required on every write
    to ``credbot-audit``.

    Raises ``VaultSetupConflict`` when a key of that name exists but is not an ed25519 key, or
    can be exported or backed up in plaintext: Vault cannot make such a key private again,
    so anchors signed with it would prove nothing. (An admin must remove or rename it.)
    """
    engines = mounts.list_secrets_engines(client)
    key_item = f"{TRANSIT_MOUNT}/keys/{ANCHOR_KEY}"
    key = transit.read_key(client, ANCHOR_KEY) if f"{TRANSIT_MOUNT}/" in engines else None
    if key is not None:
        _refuse_unsafe_key(key_item, key)

    def create_key(_: SetupContext) -> None:
        transit.create_key(client, ANCHOR_KEY)

    def require_cas(_: SetupContext) -> None:
        kv.configure(client, mount=AUDIT_MOUNT, cas_required=True)

    cas_item = f"{AUDIT_MOUNT}/config cas_required"
    if f"{AUDIT_MOUNT}/" not in engines:
        cas = create(cas_item, require_cas, "check-and-set on every write")
    elif kv.read_configuration(client, mount=AUDIT_MOUNT).get("cas_required") is True:
        cas = in_place(cas_item)
    else:
        cas = update(cas_item, require_cas, ["cas_required: False -> True"])
    key_step = (
        in_place(key_item)
        if key is not None
        else create(key_item, create_key, "ed25519, not exportable")
    )
    return [key_step, cas]


def _refuse_unsafe_key(item: str, key: dict[str, object]) -> None:
    """Raise ``VaultSetupConflict`` unless ``key`` is a private ed25519 key."""
    exposed = [flag for flag in ("exportable", "allow_plaintext_backup") if key.get(flag)]
    if key.get("type") != transit.SIGNING_KEY_TYPE or exposed:
        actual = f"{key.get('type')} key" + (f" ({', '.join(exposed)})" if exposed else "")
        raise VaultSetupConflict(
            path=item, expected=f"{transit.SIGNING_KEY_TYPE} key, not exportable", actual=actual
        )
