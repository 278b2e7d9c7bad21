"""``initialize``: mounts, policies and the AppRole role; idempotent; refuses conflicts."""

from __future__ import annotations

import stat
from pathlib import Path

import hvac
import pytest

from tests.support.openbao import OpenBaoServer
from vault import approle, mounts, policies
from vault.errors import InvalidName, VaultSetupConflict
from vault.layout import BOT_POLICY
from vault.setup import InitReport, initialize, write_secret_file
from vault.tokens import lookup_self

EVERYTHING = {
    "auth/credbot",
    "auth/approle",
    "credbot-totp",
    "credbot-pending",
    "credbot-transit",
    "credbot-audit",
    "credbot-transit/keys/credbot-audit",
    "credbot-audit/config cas_required",
    "policy credbot-bot",
    "policy credbot-pending",
    "policy credbot-role-reviewer",
    "auth/approle/role/credbot",
}


def test_first_run_creates_everything(vault_initialized: InitReport) -> None:
    assert set(vault_initialized.changed) == EVERYTHING
    assert vault_initialized.unchanged == []


def test_second_run_changes_nothing(throwaway_openbao: OpenBaoServer) -> None:
    root = throwaway_openbao.root_client()
    first = initialize(root)
    second = initialize(root)
    assert first.changed_anything
    assert not second.changed_anything
    assert second.changed == []
    assert set(second.unchanged) == EVERYTHING


def test_a_drifted_policy_is_rewritten_and_reported(throwaway_openbao: OpenBaoServer) -> None:
    root = throwaway_openbao.root_client()
    initialize(root)
    policies.create_or_update_acl_policy(root, BOT_POLICY, 'path "*" { capabilities = ["sudo"] }')
    report = initialize(root)
    assert report.changed == ["policy credbot-bot"]
    assert policies.read_acl_policy(root, BOT_POLICY) == policies.bot_policy(["reviewer"])


def test_a_drifted_approle_role_is_reset(throwaway_openbao: OpenBaoServer) -> None:
    root = throwaway_openbao.root_client()
    initialize(root)
    approle.create_or_update_role(root, {"token_policies": ["credbot-bot", "default"]})
    assert initialize(root).changed == ["auth/approle/role/credbot"]


def test_mount_of_another_kind_is_not_overwritten(throwaway_openbao: OpenBaoServer) -> None:
    root = throwaway_openbao.root_client()
    mounts.enable_secrets_engine(root, "kv", "credbot-pending", {"version": "1"})
    with pytest.raises(VaultSetupConflict) as caught:
        initialize(root)
    assert caught.value.path == "credbot-pending"


def test_unknown_role_is_refused_before_anything_is_written(
    throwaway_openbao: OpenBaoServer,
) -> None:
    root = throwaway_openbao.root_client()
    with pytest.raises(InvalidName):
        initialize(root, roles=("reviewer", "no-such-role"))
    assert "credbot/" not in mounts.list_auth_methods(root)


def test_bot_policy_names_each_role_policy_it_may_grant() -> None:
    text = policies.bot_policy(["reviewer"])
    assert '[["credbot-pending"], ["credbot-role-reviewer"]]' in text
    assert "${" not in text


def test_bot_token_is_short_lived_and_carries_only_the_bot_policy(
    bot_client: hvac.Client,
) -> None:
    info = lookup_self(bot_client)
    assert info["policies"] == [BOT_POLICY]
    assert 0 < info["ttl"] <= 20 * 60
    assert info["meta"]["role_name"] == "credbot"


def test_approle_secret_ids_expire(openbao: OpenBaoServer, vault_initialized: InitReport) -> None:
    role = approle.read_role(openbao.root_client())
    assert role is not None
    assert 0 < role["secret_id_ttl"] <= 90 * 24 * 3600
    assert role["token_no_default_policy"] is True


def test_secret_file_is_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "secret-id"
    write_secret_file(path, "the-secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "the-secret\n"
    with pytest.raises(FileExistsError):
        write_secret_file(path, "another")
    assert path.read_text() == "the-secret\n"
