"""``CREDBOT_POLICY_DIR``: role policies an operator keeps beside their configuration, written by
``credbot vault init`` instead of the shipped examples; and what ``vault init`` refuses before
it touches Vault."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run
from tests.support.openbao import OpenBaoServer
from vault.approle import list_secret_id_accessors
from vault.layout import BOT_POLICY
from vault.mounts import list_auth_methods
from vault.policies import read_acl_policy
from vault.policy_files import shipped_policy

AUDITOR = 'path "review/data/audit/*" {\n  capabilities = ["read"]\n}\n'
REVIEWER = 'path "review/data/team-a/*" {\n  capabilities = ["read", "list"]\n}\n'


def test_vault_init_writes_the_role_policies_of_the_directory(
    throwaway_openbao: OpenBaoServer, tmp_path: Path
) -> None:
    (tmp_path / "credbot-role-auditor.hcl").write_text(AUDITOR)
    env = {
        "VAULT_ADDR": throwaway_openbao.addr,
        "VAULT_TOKEN": throwaway_openbao.root_token,
        "CREDBOT_ROLES": "reviewer,auditor",
        "CREDBOT_POLICY_DIR": str(tmp_path),
    }
    first = run(env, "vault", "init")
    assert first.exit_code == 0, first.output
    root = throwaway_openbao.root_client()
    assert read_acl_policy(root, "credbot-role-auditor") == AUDITOR
    shipped = shipped_policy("credbot-role-reviewer")
    assert read_acl_policy(root, "credbot-role-reviewer") == shipped  # not in the directory
    bot = read_acl_policy(root, BOT_POLICY) or ""
    assert '[["credbot-pending"], ["credbot-role-reviewer"], ["credbot-role-auditor"]]' in bot

    (tmp_path / "credbot-role-reviewer.hcl").write_text(REVIEWER)
    refused = run(env, "vault", "init")
    assert refused.exit_code == 5 and "differs:      policy credbot-role-reviewer" in refused.output
    forced = run(env, "vault", "init", "--force")
    assert forced.exit_code == 0, forced.output
    assert read_acl_policy(root, "credbot-role-reviewer") == REVIEWER


def test_a_role_missing_from_the_directory_changes_nothing(
    throwaway_openbao: OpenBaoServer, tmp_path: Path
) -> None:
    env = {
        "VAULT_ADDR": throwaway_openbao.addr,
        "VAULT_TOKEN": throwaway_openbao.root_token,
        "CREDBOT_ROLES": "auditor",
        "CREDBOT_POLICY_DIR": str(tmp_path),
    }
    result = run(env, "vault", "init")
    assert result.exit_code == 3
    assert f"CREDBOT_ROLES: role 'auditor' has no policy file: {tmp_path}" in result.output
    assert "credbot/" not in list_auth_methods(throwaway_openbao.root_client())


def test_an_existing_secret_id_file_is_refused_before_vault_is_touched(
    throwaway_openbao: OpenBaoServer, tmp_path: Path
) -> None:
    taken = tmp_path / "secret-id"
    taken.write_text("someone else's\n")
    env = {"VAULT_ADDR": throwaway_openbao.addr, "VAULT_TOKEN": throwaway_openbao.root_token}
    result = run(env, "vault", "init", "--secret-id-file", str(taken))
    assert result.exit_code == 3 and "exists: choose a new file" in result.output
    root = throwaway_openbao.root_client()
    assert "credbot/" not in list_auth_methods(root) and "approle/" not in list_auth_methods(root)
    assert list_secret_id_accessors(root) == []
    assert taken.read_text() == "someone else's\n"
