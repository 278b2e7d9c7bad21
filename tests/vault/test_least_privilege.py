"""The bot's policy is wide enough for every method (the other tests run under it) and no wider."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import hvac
import pytest

from tests.support.openbao import OpenBaoServer
from vault import identity, userpass
from vault.accounts import VaultAccounts
from vault.approle import lookup_secret_id
from vault.client import AppRoleClient, request
from vault.errors import VaultPermissionDenied
from vault.mounts import enable_auth_method, read_auth_method

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
    # its own secret ID's expiry only, through the secret ID itself (vault.credentials)
    ("LIST", "auth/approle/role/credbot/secret-id", None),
    ("POST", "auth/approle/role/credbot/secret-id-accessor/lookup", {"secret_id_accessor": "a"}),
    ("POST", "auth/approle/role/credbot/secret-id/destroy", {"secret_id": "s"}),
    ("POST", "auth/approle/role/other/secret-id/lookup", {"secret_id": "s"}),
    ("LIST", "sys/leases/lookup/auth/", None),
    ("POST", "sys/leases/revoke-prefix/auth/approle", {}),
    ("POST", "sys/seal", {}),
    ("GET", "sys/audit", None),
    ("GET", "identity/entity/id", None),
    ("POST", "identity/lookup/entity", {"name": "anyone"}),
    ("POST", "identity/entity", {"name": "credbot-new"}),
    ("POST", "identity/mfa/method/totp", {"issuer": "mine"}),
    ("POST", "identity/mfa/login-enforcement/credbot", {"mfa_method_ids": []}),
    ("DELETE", "identity/mfa/login-enforcement/credbot", None),
    ("POST", "identity/mfa/login-enforcement/other", {"auth_method_types": ["userpass"]}),
    ("GET", "identity/mfa/method/totp", None),
    ("GET", "identity/entity/name/admin", None),
    ("DELETE", "identity/entity/name/admin", None),
    ("POST", "identity/entity/name/admin", {"disabled": True}),
    ("POST", "credbot-totp/keys/ctr-x", {"generate": True, "exported": True}),
    ("POST", "credbot-totp/code/ctr-x", {"code": "123456"}),
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


@pytest.mark.parametrize(
    "body",
    [
        {"token_ttl": "8760h"},
        {"token_max_ttl": "8760h"},
        {"token_ttl": "28801s"},
        {"token_type": "batch"},
        {"token_num_uses": 0},
        {"token_period": "8760h"},
        {"token_explicit_max_ttl": "8760h"},
    ],
    ids=lambda b: next(iter(b)),
)
def test_bot_can_set_only_the_configured_token_rules(
    bot_client: hvac.Client, make_username: Callable[[str], str], body: dict[str, object]
) -> None:
    base = {
        "password": "x" * 32,
        "token_policies": ["credbot-pending"],
        "token_no_default_policy": True,
        "token_ttl": "28800s",
        "token_max_ttl": "43200s",
    }
    request(bot_client, "POST", f"auth/credbot/users/{make_username('ok')}", json=base)
    with pytest.raises(VaultPermissionDenied):
        request(bot_client, "POST", f"auth/credbot/users/{make_username('ttl')}", json=base | body)


@pytest.mark.parametrize("name", ["admin", "alice", "svc-review"])
def test_bot_reaches_only_credbots_own_user_names(bot_client: hvac.Client, name: str) -> None:
    body = {"password": "x" * 32, "token_policies": ["credbot-pending"]}
    for method, json in (("POST", body), ("GET", None), ("DELETE", None)):
        with pytest.raises(VaultPermissionDenied):
            request(bot_client, method, f"auth/credbot/users/{name}", json=json)


def test_bot_cannot_revoke_someone_elses_token(
    bot_client: hvac.Client, openbao: OpenBaoServer
) -> None:
    """An admin's token: its accessor leaks (say, in an audit log); the bot cannot end it."""
    root = openbao.root_client()
    admin = root.auth.token.create(policies=["default"], ttl="1h")["auth"]
    with pytest.raises(VaultPermissionDenied):
        request(
            bot_client, "POST", "auth/token/revoke-accessor", json={"accessor": admin["accessor"]}
        )
    assert root.auth.token.lookup(admin["client_token"])["data"]["accessor"] == admin["accessor"]


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


def test_bot_never_sees_an_mfa_secret_and_reaches_no_other_method(
    vault_accounts: VaultAccounts,
    bot_client: hvac.Client,
    openbao: OpenBaoServer,
    make_username: Callable[[str], str],
) -> None:
    root = openbao.root_client()
    entity_id = identity.create_entity_by_name(root, make_username("mfa"))
    own = vault_accounts.mfa_method_id()
    other = request(root, "POST", "identity/mfa/method/totp", json={"issuer": "other"})
    other_id = other["data"]["method_id"]  # type: ignore[index]
    body = {"method_id": own, "entity_id": entity_id}
    with pytest.raises(VaultPermissionDenied):  # unwrapped: the seed would be in the answer
        request(bot_client, "POST", "identity/mfa/method/totp/admin-generate", json=body)
    for path in ("admin-generate", "admin-destroy"):
        with pytest.raises(VaultPermissionDenied):
            request(
                bot_client,
                "POST",
                f"identity/mfa/method/totp/{path}",
                json={"method_id": other_id, "entity_id": entity_id},
                wrap_ttl=timedelta(minutes=1),
            )
    with pytest.raises(VaultPermissionDenied):
        request(bot_client, "GET", f"identity/mfa/method/totp/{own}")


def test_bot_binds_aliases_only_on_credbots_mount_and_only_for_its_users(
    bot_client: hvac.Client, openbao: OpenBaoServer, make_username: Callable[[str], str]
) -> None:
    root = openbao.root_client()
    username = make_username("alias")
    entity_id = identity.create_entity_by_name(root, username)
    if "elsewhere/" not in root.sys.list_auth_methods()["data"]:
        enable_auth_method(root, "userpass", "elsewhere")
    other_accessor = read_auth_method(root, "elsewhere")["accessor"]
    credbot_accessor = read_auth_method(root, "credbot")["accessor"]
    for name, accessor in ((username, other_accessor), ("admin", credbot_accessor)):
        with pytest.raises(VaultPermissionDenied):
            identity.create_entity_alias(
                bot_client, username=name, canonical_id=entity_id, mount_accessor=accessor
            )


def test_bot_cannot_give_a_credbot_entity_policies_or_re_enable_it(
    vault_accounts: VaultAccounts, bot_client: hvac.Client, make_username: Callable[[str], str]
) -> None:
    username = make_username("ent")
    vault_accounts.issue_account(username=username, wrap_ttl=timedelta(minutes=1))
    for body in (
        {"disabled": False},
        {"policies": ["credbot-bot"]},
        {"disabled": True, "policies": ["x"]},
    ):
        with pytest.raises(VaultPermissionDenied):
            request(bot_client, "POST", f"identity/entity/name/credbot-{username}", json=body)


def test_bot_learns_the_expiry_only_of_the_secret_id_it_holds(
    openbao: OpenBaoServer, vault_initialized: object
) -> None:
    bot = openbao.bot_login()
    assert isinstance(bot, AppRoleClient)
    own = lookup_secret_id(bot, bot.secret_id)
    assert own is not None and own["expiration_time"]
    assert lookup_secret_id(bot, str(uuid.uuid4())) is None  # a guess tells nothing
