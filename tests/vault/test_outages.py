"""Vault unreachable or sealed, and an issue that fails half-way, on throwaway servers."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.support.openbao import OpenBaoServer, accounts_for
from tests.support.ports import free_port
from vault import identity, policies, userpass
from vault.accounts import VaultAccounts
from vault.client import connect, request
from vault.errors import VaultError, VaultNotFound, VaultPermissionDenied, VaultUnavailable
from vault.layout import BOT_POLICY
from vault.setup import AppRoleRules, initialize
from vault.tokens import lookup_self
from vault.userpass import iter_users

WRAP = timedelta(minutes=5)


def test_unreachable_vault_is_unavailable_with_a_clear_message() -> None:
    port = free_port()
    accounts = VaultAccounts(client=connect(f"http://127.0.0.1:{port}", token="t", timeout=2))
    with pytest.raises(VaultUnavailable) as caught:
        accounts.check_health()
    message = str(caught.value)
    assert "unreachable" in message
    assert f"127.0.0.1:{port}" in message
    assert "sys/health" in message
    with pytest.raises(VaultUnavailable):
        accounts.issue_account(username="ctr-nobody", wrap_ttl=WRAP)


def test_approle_login_to_an_unreachable_vault_is_unavailable() -> None:
    with pytest.raises(VaultUnavailable):
        connect(f"http://127.0.0.1:{free_port()}", role_id="r", secret_id="s", timeout=2)


def test_bad_approle_credentials_are_refused(
    openbao: OpenBaoServer, vault_initialized: object
) -> None:
    with pytest.raises((VaultPermissionDenied, VaultError)) as caught:
        connect(openbao.addr, role_id="not-a-role", secret_id="wrong-secret-id-value")
    assert "wrong-secret-id-value" not in str(caught.value)


def test_healthy_vault_passes_the_health_check(vault_accounts: VaultAccounts) -> None:
    vault_accounts.check_health()


def test_sealed_vault_is_unavailable(throwaway_openbao: OpenBaoServer) -> None:
    accounts = accounts_for(throwaway_openbao)
    accounts.check_health()
    throwaway_openbao.seal()
    with pytest.raises(VaultUnavailable, match="sealed"):
        accounts.check_health()
    with pytest.raises(VaultUnavailable):
        accounts.issue_account(username="ctr-sealed-out", wrap_ttl=WRAP)
    with pytest.raises(VaultUnavailable):
        accounts.revoke_account(username="ctr-sealed-out")


def test_stopped_vault_is_unavailable(throwaway_openbao: OpenBaoServer) -> None:
    accounts = accounts_for(throwaway_openbao)
    throwaway_openbao.stop()
    with pytest.raises(VaultUnavailable):
        accounts.check_health()
    with pytest.raises(VaultUnavailable):
        list(accounts.iter_accounts())


def assert_nothing_left(server: OpenBaoServer, username: str) -> None:
    root = server.root_client()
    assert userpass.read_user(root, username) is None
    assert identity.read_entity_by_name(root, username) is None
    assert username not in list(iter_users(root))
    try:
        request(root, "GET", f"credbot-pending/metadata/{username}")
    except (VaultNotFound, VaultPermissionDenied):
        pass  # gone, or the mount itself is gone
    else:
        pytest.fail("the pending KV entry survived")


def narrow_bot_policy(server: OpenBaoServer, drop: str) -> None:
    """Rewrite the bot policy on ``server`` without the stanza for path ``drop``."""
    root = server.root_client()
    text = policies.read_acl_policy(root, BOT_POLICY) or ""
    start = text.index(f'path "{drop}"')
    end = text.index("\n}\n", start) + 3
    policies.create_or_update_acl_policy(root, BOT_POLICY, text[:start] + text[end:])


def test_missing_kv_mount_leaves_no_user_or_key(throwaway_openbao: OpenBaoServer) -> None:
    accounts = accounts_for(throwaway_openbao)
    request(throwaway_openbao.root_client(), "DELETE", "sys/mounts/credbot-pending")
    with pytest.raises(VaultError):
        accounts.issue_account(username="ctr-halfway", wrap_ttl=WRAP)
    assert_nothing_left(throwaway_openbao, "ctr-halfway")


def test_mfa_permission_lost_leaves_no_user_or_entity(throwaway_openbao: OpenBaoServer) -> None:
    accounts = accounts_for(throwaway_openbao)
    narrow_bot_policy(throwaway_openbao, "identity/mfa/method/totp/admin-generate")
    with pytest.raises(VaultPermissionDenied):
        accounts.issue_account(username="ctr-nokey", wrap_ttl=WRAP)
    assert_nothing_left(throwaway_openbao, "ctr-nokey")


def test_wrapping_failure_leaves_no_user_key_or_secret(throwaway_openbao: OpenBaoServer) -> None:
    accounts = accounts_for(throwaway_openbao)
    root = throwaway_openbao.root_client()
    text = (policies.read_acl_policy(root, BOT_POLICY) or "").replace(
        'capabilities = ["create", "update", "read"]', 'capabilities = ["create", "update"]'
    )
    policies.create_or_update_acl_policy(root, BOT_POLICY, text)
    with pytest.raises(VaultPermissionDenied):
        accounts.issue_account(username="ctr-nowrap", wrap_ttl=WRAP)
    assert_nothing_left(throwaway_openbao, "ctr-nowrap")


def test_failed_kv_cleanup_leaves_no_user_or_entity(throwaway_openbao: OpenBaoServer) -> None:
    """If the KV copy cannot be destroyed, the issue fails and nothing it made opens anything:
    the wrapping tokens already made are left to expire, holding the password of a user and the
    seed of an entity that no longer exist."""
    accounts = accounts_for(throwaway_openbao)
    narrow_bot_policy(throwaway_openbao, "credbot-pending/metadata/*")
    with pytest.raises(VaultPermissionDenied):
        accounts.issue_account(username="ctr-nodelete", wrap_ttl=WRAP)
    root = throwaway_openbao.root_client()
    assert userpass.read_user(root, "ctr-nodelete") is None
    assert identity.read_entity_by_name(root, "ctr-nodelete") is None


def test_bot_logs_in_again_when_its_token_nears_expiry(throwaway_openbao: OpenBaoServer) -> None:
    initialize(
        throwaway_openbao.root_client(),
        approle_rules=AppRoleRules(
            token_ttl=timedelta(seconds=3), token_max_ttl=timedelta(seconds=3)
        ),
        force=True,
    )
    client = throwaway_openbao.bot_login()
    first = client.token
    accounts = VaultAccounts(client=client)
    assert list(accounts.iter_accounts()) == []
    time.sleep(3.5)  # the first token has expired by now
    assert list(accounts.iter_accounts()) == []
    assert client.token != first
    assert lookup_self(client)["policies"] == [BOT_POLICY]
