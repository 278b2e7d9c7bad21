"""The audit anchor's Vault side: a signing key nobody can take out of Vault, the bot's token
limited to sign, verify and moving the anchor forward with check-and-set."""

from __future__ import annotations

from typing import Any

import hvac
import pytest

from tests.support.openbao import OpenBaoServer, accounts_for
from vault import transit
from vault.anchors import VaultAnchors
from vault.client import request
from vault.errors import VaultInvalidRequest, VaultPermissionDenied, VaultSetupConflict
from vault.setup import InitReport, initialize

KEY = "credbot-transit/keys/credbot-audit"

BOT_DENIED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", KEY, None),
    ("GET", "credbot-transit/export/signing-key/credbot-audit", None),
    ("GET", "credbot-transit/export/signing-key/credbot-audit/1", None),
    ("GET", "credbot-transit/backup/credbot-audit", None),
    ("POST", f"{KEY}/config", {"exportable": True}),
    ("POST", f"{KEY}/config", {"deletion_allowed": True}),
    ("POST", f"{KEY}/rotate", {}),
    ("DELETE", KEY, None),
    ("POST", "credbot-transit/keys/imported", {"type": "ed25519"}),
    ("POST", "credbot-transit/restore/credbot-audit", {"backup": "AAAA"}),
    ("POST", "credbot-transit/sign/other-key", {"input": "aGk="}),
    ("POST", "credbot-transit/sign/credbot-audit/sha2-256", {"input": "aGk="}),
    ("DELETE", "credbot-audit/data/anchor", None),
    ("DELETE", "credbot-audit/metadata/anchor", None),
    ("POST", "credbot-audit/delete/anchor", {"versions": [1]}),
    ("POST", "credbot-audit/destroy/anchor", {"versions": [1]}),
    ("POST", "credbot-audit/metadata/anchor", {"max_versions": 1}),
    ("POST", "credbot-audit/config", {"cas_required": False}),
    ("POST", "credbot-audit/data/elsewhere", {"data": {}, "options": {"cas": 0}}),
]


@pytest.mark.parametrize(("method", "path", "body"), BOT_DENIED, ids=lambda v: str(v)[:48])
def test_bot_cannot_read_export_or_change_the_key_or_remove_the_anchor(
    bot_client: hvac.Client, method: str, path: str, body: dict[str, Any] | None
) -> None:
    with pytest.raises(VaultPermissionDenied):
        request(bot_client, method, path, json=body)


def test_the_signing_key_cannot_leave_vault(
    openbao: OpenBaoServer, vault_initialized: InitReport
) -> None:
    """Even an admin cannot export it: it was created not exportable, without plaintext
    backup, and Vault cannot turn that back on without the admin changing it on purpose."""
    root = openbao.root_client()
    key = transit.read_key(root, "credbot-audit")
    assert key is not None
    assert (key["type"], key["exportable"], key["allow_plaintext_backup"]) == (
        "ed25519",
        False,
        False,
    )
    with pytest.raises(VaultInvalidRequest, match="not exportable"):
        request(root, "GET", "credbot-transit/export/signing-key/credbot-audit")
    config = request(root, "GET", "credbot-audit/config") or {}
    assert config["data"]["cas_required"] is True


def test_an_exportable_key_is_refused_by_vault_init(throwaway_openbao: OpenBaoServer) -> None:
    root = throwaway_openbao.root_client()
    request(root, "POST", "sys/mounts/credbot-transit", json={"type": "transit"})
    request(root, "POST", KEY, json={"type": "ed25519", "exportable": True})
    with pytest.raises(VaultSetupConflict) as caught:
        initialize(root)
    assert caught.value.path == KEY
    assert "exportable" in caught.value.actual


def test_the_bot_signs_and_verifies_with_the_key(bot_client: hvac.Client) -> None:
    anchors = VaultAnchors(client=bot_client)
    signature = anchors.sign(b"seq=7")
    assert signature.startswith("vault:v1:")
    assert anchors.verify(b"seq=7", signature)
    assert not anchors.verify(b"seq=8", signature)
    assert not anchors.verify(b"seq=7", "not a signature")


def test_a_stale_writer_cannot_move_the_anchor(throwaway_openbao: OpenBaoServer) -> None:
    """Check-and-set: a replica that read version 1 loses to one that wrote version 2."""
    accounts_for(throwaway_openbao)  # vault init
    anchors = VaultAnchors(client=throwaway_openbao.bot_login())
    assert anchors.read_anchor() is None
    assert anchors.write_anchor({"seq": 1}, version=0)
    assert not anchors.write_anchor({"seq": 1}, version=0), "version 0 means 'none yet'"
    assert anchors.write_anchor({"seq": 5}, version=1)
    assert not anchors.write_anchor({"seq": 3}, version=1)
    assert anchors.read_anchor() == ({"seq": 5}, 2)
