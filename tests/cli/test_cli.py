"""The ``credbot`` command line: what operators type, what they read, and the exit codes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import click
import pytest
import sqlalchemy as sa

from bot.cli import main
from bot.core import issuing, onboarding
from bot.core.context import Core
from bot.core.identity import webhook_verification
from bot.core.states import State
from tests.support.cli import run
from tests.support.core import APPROVER, MANAGER, FixedCheck, approved_contractor, request_for
from tests.support.openbao import OpenBaoServer
from tests.support.ports import free_port
from vault.approle import list_secret_id_accessors
from vault.client import connect
from vault.errors import VaultPermissionDenied
from vault.layout import BOT_POLICY
from vault.mounts import list_auth_methods
from vault.policies import create_or_update_acl_policy, read_acl_policy
from vault.setup import generate_secret_id, initialize, read_role_id


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", all_commands(main), ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = run({"CREDBOT_LINK_TTL": "not a duration"}, *command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output


def test_invalid_settings_name_the_variable_and_exit_3(tmp_path: Path) -> None:
    result = run({"CREDBOT_LINK_TTL": "soon", "CREDBOT_ALLOWED_COUNTRIES": "Germany"}, "list")
    assert result.exit_code == 3
    assert "CREDBOT_LINK_TTL" in result.output and "CREDBOT_ALLOWED_COUNTRIES" in result.output


def test_vault_init_is_idempotent(throwaway_openbao: OpenBaoServer, tmp_path: Path) -> None:
    env = {"VAULT_ADDR": throwaway_openbao.addr, "VAULT_TOKEN": throwaway_openbao.root_token}
    dry = run(env, "vault", "init", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would create: policy credbot-bot" in dry.output
    assert "dry run: nothing was changed" in dry.output
    assert "credbot/" not in list_auth_methods(throwaway_openbao.root_client())

    first = run(env, "vault", "init", "--secret-id-file", str(tmp_path / "secret-id"))
    assert first.exit_code == 0, first.output
    assert "created:      policy credbot-bot" in first.output
    assert stat.S_IMODE((tmp_path / "secret-id").stat().st_mode) == 0o600
    assert (tmp_path / "secret-id").read_text().strip() not in first.output

    second = run(env, "vault", "init")
    assert second.exit_code == 0, second.output
    assert "created:" not in second.output and "updated:" not in second.output
    assert "in place:     policy credbot-bot" in second.output
    assert "AppRole role ID" in second.output


def test_vault_init_shows_a_narrowed_policy_and_changes_it_only_when_forced(
    throwaway_openbao: OpenBaoServer,
) -> None:
    """An operator narrowed the bot's policy by hand: init must not widen it back silently."""
    env = {"VAULT_ADDR": throwaway_openbao.addr, "VAULT_TOKEN": throwaway_openbao.root_token}
    assert run(env, "vault", "init").exit_code == 0
    root = throwaway_openbao.root_client()
    shipped = read_acl_policy(root, BOT_POLICY) or ""
    narrowed = shipped.replace(
        '"token_policies"          = [["credbot-pending"], ["credbot-role-reviewer"]]',
        '"token_policies"          = [["credbot-pending"]]',
    )
    assert narrowed != shipped
    create_or_update_acl_policy(root, BOT_POLICY, narrowed)

    refused = run(env, "vault", "init")
    assert refused.exit_code == 5, refused.output
    assert "differs:      policy credbot-bot" in refused.output
    assert (
        '+    "token_policies"          = [["credbot-pending"], ["credbot-role-reviewer"]]'
        in refused.output
    )
    assert "nothing was changed" in refused.output and "--force" in refused.output
    assert read_acl_policy(root, BOT_POLICY) == narrowed

    dry = run(env, "vault", "init", "--dry-run")
    assert dry.exit_code == 0 and "would update: policy credbot-bot" in dry.output
    assert read_acl_policy(root, BOT_POLICY) == narrowed

    forced = run(env, "vault", "init", "--force")
    assert forced.exit_code == 0, forced.output
    assert "updated:      policy credbot-bot" in forced.output
    assert read_acl_policy(root, BOT_POLICY) == shipped


def test_secret_id_rotation_destroys_the_earlier_ones(
    throwaway_openbao: OpenBaoServer, tmp_path: Path
) -> None:
    env = {"VAULT_ADDR": throwaway_openbao.addr, "VAULT_TOKEN": throwaway_openbao.root_token}
    first, second = tmp_path / "first", tmp_path / "second"
    assert run(env, "vault", "init", "--secret-id-file", str(first)).exit_code == 0
    root = throwaway_openbao.root_client()
    role_id = read_role_id(root)
    connect(throwaway_openbao.addr, role_id=role_id, secret_id=first.read_text().strip())

    taken = run(env, "vault", "init", "--secret-id-file", str(first))
    assert taken.exit_code == 3 and "exists" in taken.output
    assert len(list_secret_id_accessors(root)) == 1  # refused before Vault was asked

    rotated = run(env, "vault", "rotate-secret-id", "--secret-id-file", str(second))
    assert rotated.exit_code == 0, rotated.output
    assert "earlier secret IDs destroyed: 1" in rotated.output
    assert second.read_text().strip() not in rotated.output
    assert stat.S_IMODE(second.stat().st_mode) == 0o600
    connect(throwaway_openbao.addr, role_id=role_id, secret_id=second.read_text().strip())
    with pytest.raises(VaultPermissionDenied):
        connect(throwaway_openbao.addr, role_id=role_id, secret_id=first.read_text().strip())
    again = run(env, "vault", "rotate-secret-id", "--secret-id-file", str(second))
    assert again.exit_code == 3 and len(list_secret_id_accessors(root)) == 1


def test_a_socks_proxy_for_vault_is_a_setting_to_fix_named_without_its_password() -> None:
    proxies = {
        name: "" for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY")
    }
    env = {
        **proxies,
        "no_proxy": "",
        "ALL_PROXY": "socks5://ops:hunter2@127.0.0.1:1080",
        "all_proxy": "socks5://ops:hunter2@127.0.0.1:1080",
        "VAULT_ADDR": "http://127.0.0.1:9",
        "VAULT_TOKEN": "root",
    }
    result = run(env, "vault", "init", "--dry-run")
    assert result.exit_code == 3, result.output
    assert (
        "is a socks5:// proxy; credbot reaches Vault through http:// or https://" in result.output
    )
    assert "hunter2" not in result.output


def test_unreachable_vault_exits_4(tmp_path: Path) -> None:
    env = {"VAULT_ADDR": "http://127.0.0.1:9", "VAULT_TOKEN": "root"}
    result = run(env, "vault", "init")
    assert result.exit_code == 4
    assert "Vault is unavailable" in result.output


def test_db_upgrade_on_an_unreachable_database_exits_4_in_one_line() -> None:
    url = f"postgresql+psycopg://credbot:hunter2secret@127.0.0.1:{free_port()}/credbot"
    result = run({"CREDBOT_DATABASE_URL": url}, "db", "upgrade")
    assert result.exit_code == 4, result.output
    assert result.output.startswith("credbot: the database did not answer")
    assert result.output.count("\n") == 1 and "hunter2secret" not in result.output


def test_db_upgrade_creates_and_repeats(tmp_path: Path) -> None:
    env = {"CREDBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    for _ in range(2):
        result = run(env, "db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "database at revision" in result.output


def test_list_status_and_offboard(bot_env: dict[str, str], core: Core) -> None:
    contractor = approved_contractor(core)
    issuing.issue(core, contractor.id, actor=APPROVER)

    listed = run(bot_env, "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["id"], r["state"]) for r in rows] == [(contractor.id, "issued")]
    assert run(bot_env, "list", "--state", "active").output == ""

    shown = run(bot_env, "status", contractor.slack_user_id)
    assert shown.exit_code == 0 and "issued" in shown.output

    gone = run(bot_env, "offboard", contractor.id, "--reason", "contract ended")
    assert gone.exit_code == 0, gone.output
    assert core.store.get_contractor(contractor.id).state is State.REVOKED

    missing = run(bot_env, "status", "UNOBODY123")
    assert missing.exit_code == 5
    assert "No contractor found for UNOBODY123" in missing.output


def test_status_shows_the_identity_checks_and_the_kyc_reference(
    bot_env: dict[str, str], core: Core
) -> None:
    contractor = onboarding.request_onboarding(core, request_for(), requester=MANAGER)
    checks = [FixedCheck("work_country", "pass", "DE (Germany) is allowed", country="DE")]
    onboarding.verify(core, contractor.id, checks=[*checks, FixedCheck("kyc", "pending")])
    waiting = webhook_verification(core, core.store.get_contractor(contractor.id))

    shown = run(bot_env, "status", contractor.id)
    assert shown.exit_code == 0, shown.output
    assert "check: work_country: pass: DE (Germany) is allowed" in shown.output
    assert "check: kyc: pending: because" in shown.output
    assert f"verification: webhook {waiting.reference}: pending" in shown.output

    data = json.loads(run(bot_env, "status", contractor.id, "--json").output)
    assert data["identity_checks"][0] == {
        "check": "work_country",
        "outcome": "pass",
        "reason": "DE (Germany) is allowed",
        "evidence": {"country": "DE"},
    }
    assert data["identity_verifications"][0]["reference"] == waiting.reference


def test_audit_verify_and_export(bot_env: dict[str, str], core: Core, database_url: str) -> None:
    approved_contractor(core)
    verified = run(bot_env, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact: 4 events" in verified.output

    exported = run(bot_env, "audit", "export")
    records = [json.loads(line) for line in exported.output.splitlines()]
    assert [r["seq"] for r in records] == [1, 2, 3, 4]
    assert records[1]["prev_hash"] == records[0]["hash"]

    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_events SET reason = 'forged' WHERE seq = 2"))
    engine.dispose()
    broken = run(bot_env, "audit", "verify")
    assert broken.exit_code == 1
    assert "event #2: content does not match its hash" in broken.output


def test_sweep_reports_and_exits_by_outcome(bot_env: dict[str, str], core: Core) -> None:
    text = run(bot_env, "sweep")
    assert text.exit_code == 0, text.output
    assert "Nothing due." in text.output and "All done." in text.output

    dry = run(bot_env, "sweep", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert report["dry_run"] is True and report["all_done"] is True and report["items"] == []


def test_sweep_with_vault_sealed_exits_4(
    throwaway_openbao: OpenBaoServer, database_url: str
) -> None:
    root = throwaway_openbao.root_client()
    initialize(root)
    secret_id, _ = generate_secret_id(root)
    env = {
        "VAULT_ADDR": throwaway_openbao.addr,
        "VAULT_ROLE_ID": read_role_id(root),
        "VAULT_SECRET_ID": secret_id,
        "CREDBOT_DATABASE_URL": database_url,
    }
    throwaway_openbao.seal()
    result = run(env, "sweep")
    assert result.exit_code == 4
    assert "Vault is unavailable" in result.output
