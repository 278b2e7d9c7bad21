"""The bot's policy is wide enough for every method (the other tests run under it) and no wider."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import hvac
import pytest

from tests.support.openbao import OpenBaoServer
from tests.vault.helpers import contractor_login
from vault import userpass
from vault.accounts import VaultAccounts
from vault.client import request
from vault.errors import VaultPermissionDenied
from vault.identity import lookup_entity
from vault.mounts import read_auth_method

DENIED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "sys/policies/acl/credbot-bot", None),
    ("POST", "sys/policies/acl/credbot-bot", {"policy": 'path "*" {capabilities=["sudo"]}'}),
    ("POST", "sys/policies/acl/credbot-role-reviewer", {"policy": 'path "*" {}'}),
    ("POST", "auth/token/create", {"policies": ["credbot-role-reviewer"]}),
    ("POST", "auth/token/create-orphan", {}),
    ("POST", "sys/mounts/elsewhere", {"type": "kv"}),
    ("POST", "sys/auth/elsewhere", {"type": "userpass"}),
    ("DELETE", "sys/auth/credbot", None),
    ("POST", "sys/auth/credbot/tune", {"default_lease_ttl": "87600h"}),
    ("GET", "secret/data/anything", None),
    ("GET", "review/data/recording-1", None),
    ("GET", "auth/approle/role/credbot/role-id", None),
    ("POST", "auth/approle/role/credbot/secret-id", {}),
    ("POST", "auth/approle/role/credbot", {"token_policies": ["root"]}),
    ("LIST", "sys/leases/lookup/auth/", None),
    ("POST", "sys/leases/revoke-prefix/auth/approle", {}),
    ("POST", "sys/seal", {}),
    ("GET", "sys/audit", None),
    ("GET", "identity/entity/id", None),
]


@pytest.mark.parametrize(("method", "path", "body"), DENIED, ids=lambda v: str(v)[:40])
def test_bot_token_is_denied(
    bot_client: hvac.Client, method: str, path: str, body: dict[str, Any] | None
) -> None:
    with pytest.raises(VaultPermissionDenied):
        request(bot_client, method, path, json=body)


@pytest.mark.parametrize(
    "token_policies",
    [
        ["credbot-bot"],
        ["admin"],
        ["credbot-role-reviewer", "admin"],
        "credbot-role-reviewer,admin",
        "credbot-role-reviewer",
        ["credbot-role-unshipped"],
    ],
    ids=str,
)
def test_bot_cannot_grant_a_policy_outside_credbots(
    bot_client: hvac.Client, make_username: Callable[[str], str], token_policies: object
) -> None:
    body = {"password": "x" * 32, "token_policies": token_policies}
    with pytest.raises(VaultPermissionDenied):
        request(bot_client, "POST", f"auth/credbot/users/{make_username('esc')}", json=body)


def test_bot_cannot_give_users_the_default_policy(
    bot_client: hvac.Client, make_username: Callable[[str], str]
) -> None:
    with pytest.raises(VaultPermissionDenied):
        userpass.create_or_update_user(
            bot_client,
            make_username("dflt"),
            password="x" * 32,
            token_policies=["credbot-pending"],
            token_no_default_policy=False,
        )


def test_bot_cannot_generate_a_contractors_totp_code(
    vault_accounts: VaultAccounts, bot_client: hvac.Client, make_username: Callable[[str], str]
) -> None:
    username = make_username("gen")
    vault_accounts.issue_account(username=username, wrap_ttl=timedelta(minutes=1))
    with pytest.raises(VaultPermissionDenied):
        request(bot_client, "GET", f"credbot-totp/code/{username}")


def test_bot_cannot_re_enable_a_disabled_entity(
    vault_accounts: VaultAccounts,
    bot_client: hvac.Client,
    openbao: OpenBaoServer,
    make_username: Callable[[str], str],
) -> None:
    username = make_username("ent")
    issued = vault_accounts.issue_account(username=username, wrap_ttl=timedelta(minutes=1))
    secret = vault_accounts.unwrap_account(username=username, wrapping_token=issued.wrapping_token)
    contractor_login(openbao, username, secret.password)
    vault_accounts.revoke_account(username=username)
    accessor = read_auth_method(bot_client, "credbot")["accessor"]
    entity = lookup_entity(bot_client, alias_name=username, alias_mount_accessor=accessor)
    assert entity is not None
    for body in (
        {"disabled": False},
        {"policies": ["credbot-bot"]},
        {"disabled": True, "policies": ["x"]},
    ):
        with pytest.raises(VaultPermissionDenied):
            request(bot_client, "POST", f"identity/entity/id/{entity['id']}", json=body)
