"""``initialize``: mounts, policies and the AppRole role; idempotent; refuses conflicts."""

from __future__ import annotations

import stat
from pathlib import Path

import hvac
import pytest

from tests.support.openbao import OpenBaoServer
from vault import approle, login_mfa, mounts, policies
from vault.errors import InvalidName, VaultSetupConflict, VaultSetupDrift
from vault.layout import BOT_POLICY, MFA_ENFORCEMENT
from vault.login_mfa import TotpMethodSettings
from vault.setup import InitReport, initialize, write_secret_file
from vault.tokens import lookup_self

EVERYTHING = {
    "auth/credbot",
    "auth/approle",
    "credbot-pending",
    "identity/mfa/method/totp (credbot)",
    "identity/mfa/login-enforcement/credbot",
    "credbot-transit",
    "credbot-audit",
    "credbot-transit/keys/credbot-audit",
    "credbot-audit/config cas_required",
    "auth/credbot token TTLs",
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


def test_a_drifted_policy_is_refused_with_its_diff_then_rewritten_when_forced(
    throwaway_openbao: OpenBaoServer,
) -> None:
    root = throwaway_openbao.root_client()
    initialize(root)
    wanted = policies.read_acl_policy(root, BOT_POLICY)
    drifted = 'path "*" { capabilities = ["sudo"] }'
    policies.create_or_update_acl_policy(root, BOT_POLICY, drifted)
    with pytest.raises(VaultSetupDrift) as refused:
        initialize(root)
    (change,) = refused.value.changes
    assert (change.item, change.action) == ("policy credbot-bot", "update")
    assert f"-{drifted}" in change.details
    assert policies.read_acl_policy(root, BOT_POLICY) == drifted  # nothing written
    dry = initialize(root, dry_run=True)
    assert dry.dry_run and dry.changed == ["policy credbot-bot"]
    assert policies.read_acl_policy(root, BOT_POLICY) == drifted
    report = initialize(root, force=True)
    assert report.changed == ["policy credbot-bot"]
    assert policies.read_acl_policy(root, BOT_POLICY) == wanted


def test_a_drifted_approle_role_is_reset_only_when_forced(
    throwaway_openbao: OpenBaoServer,
) -> None:
    root = throwaway_openbao.root_client()
    initialize(root)
    approle.create_or_update_role(root, {"token_policies": ["credbot-bot", "default"]})
    with pytest.raises(VaultSetupDrift) as refused:
        initialize(root)
    assert any("default" in line for line in refused.value.changes[0].details)
    assert initialize(root, force=True).changed == ["auth/approle/role/credbot"]


def test_a_dry_run_on_an_empty_vault_writes_nothing(throwaway_openbao: OpenBaoServer) -> None:
    root = throwaway_openbao.root_client()
    report = initialize(root, dry_run=True)
    assert set(report.changed) == EVERYTHING
    assert all(change.action == "create" for change in report.changes)
    assert "credbot/" not in mounts.list_auth_methods(root)
    assert policies.read_acl_policy(root, BOT_POLICY) is None


def test_the_mount_caps_every_contractor_token(
    openbao: OpenBaoServer, vault_initialized: InitReport
) -> None:
    """Whatever a user on auth/credbot asks for, its tokens live at most CREDBOT_TOKEN_MAX_TTL."""
    tuning = mounts.read_auth_method_tuning(openbao.root_client(), "credbot")
    assert (tuning["default_lease_ttl"], tuning["max_lease_ttl"]) == (8 * 3600, 12 * 3600)


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
    text = policies.bot_policy(
        policies.BotPolicyValues(
            roles=["reviewer"], mfa_method_id="m-1", userpass_accessor="auth_u_1"
        )
    )
    assert '[["credbot-pending"], ["credbot-role-reviewer"]]' in text
    assert '"method_id" = ["m-1"]' in text
    assert '"mount_accessor" = ["auth_userpass_1"]' not in text
    assert '"mount_accessor" = ["auth_u_1"]' in text
    assert "${" not in text


def test_every_login_on_the_mount_is_bound_to_credbots_totp_method(
    openbao: OpenBaoServer, vault_initialized: InitReport
) -> None:
    root = openbao.root_client()
    enforcement = login_mfa.read_login_enforcement(root, MFA_ENFORCEMENT)
    assert enforcement is not None
    accessor = mounts.read_auth_method(root, "credbot")["accessor"]
    assert enforcement["auth_method_accessors"] == [accessor]
    (method_id,) = enforcement["mfa_method_ids"]
    method = login_mfa.read_totp_method(root, method_id)
    assert method is not None
    assert (method["issuer"], method["period"], method["digits"], method["algorithm"]) == (
        "credbot",
        30,
        6,
        "SHA1",
    )
    assert method["max_validation_attempts"] == 5
    policy = policies.read_acl_policy(root, BOT_POLICY) or ""
    assert f'"method_id" = ["{method_id}"]' in policy
    assert f'"mount_accessor" = ["{accessor}"]' in policy


def test_changed_totp_settings_update_the_method_in_place(
    throwaway_openbao: OpenBaoServer,
) -> None:
    root = throwaway_openbao.root_client()
    initialize(root)
    before = login_mfa.read_login_enforcement(root, MFA_ENFORCEMENT)
    new = TotpMethodSettings(issuer="Acme Review", max_validation_attempts=3)
    with pytest.raises(VaultSetupDrift) as refused:
        initialize(root, totp=new)
    assert "issuer: 'credbot' -> 'Acme Review'" in refused.value.changes[0].details
    report = initialize(root, totp=new, force=True)
    assert report.changed == ["identity/mfa/method/totp (credbot)"]
    after = login_mfa.read_login_enforcement(root, MFA_ENFORCEMENT)
    assert before is not None and after is not None
    assert after["mfa_method_ids"] == before["mfa_method_ids"]  # same method, new settings
    method = login_mfa.read_totp_method(root, after["mfa_method_ids"][0])
    assert method is not None
    assert (method["issuer"], method["max_validation_attempts"]) == ("Acme Review", 3)


def test_a_drifted_enforcement_is_bound_again(throwaway_openbao: OpenBaoServer) -> None:
    root = throwaway_openbao.root_client()
    initialize(root)
    enforcement = login_mfa.read_login_enforcement(root, MFA_ENFORCEMENT)
    assert enforcement is not None
    login_mfa.create_or_update_login_enforcement(
        root,
        MFA_ENFORCEMENT,
        mfa_method_ids=enforcement["mfa_method_ids"],
        auth_method_accessors=[mounts.read_auth_method(root, "approle")["accessor"]],
    )
    with pytest.raises(VaultSetupDrift):
        initialize(root)
    assert initialize(root, force=True).changed == ["identity/mfa/login-enforcement/credbot"]
    again = login_mfa.read_login_enforcement(root, MFA_ENFORCEMENT)
    assert again is not None
    assert again["auth_method_accessors"] == [mounts.read_auth_method(root, "credbot")["accessor"]]


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
