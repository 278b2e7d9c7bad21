"""``credbot vault init|rotate-secret-id``: setting Vault up for credbot, with an admin token."""

from __future__ import annotations

from pathlib import Path

import click

from bot import wiring
from bot.cli.context import EXIT_REFUSED, EXIT_SETTINGS, Context, exits_cleanly, fail, pass_context
from bot.config import Settings
from vault.audit_devices import file_stanza
from vault.errors import VaultSetupDrift
from vault.models import SetupChange


@click.group("vault")
def vault_group() -> None:
    """Set up Vault (run once, with an admin token)."""


@vault_group.command("init")
@click.option(
    "--secret-id-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also generate an AppRole secret ID for the bot and write it to this new file (0600).",
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be created or changed; change nothing."
)
@click.option(
    "--force",
    is_flag=True,
    help="Also change what exists and differs from what credbot would write (shown as diffs).",
)
@pass_context
@exits_cleanly
def vault_init(ctx: Context, secret_id_file: Path | None, dry_run: bool, force: bool) -> None:
    """Create mounts, login MFA, policies and the bot's AppRole role; show what changes.

    Needs VAULT_ADDR and an admin VAULT_TOKEN. Creating what is missing is always done;
    changing a policy, role or setting that exists and differs is refused (nothing is written)
    unless --force: review it with --dry-run first.
    """
    if secret_id_file is not None and secret_id_file.exists():
        fail(f"{secret_id_file} exists: choose a new file (nothing was changed)", EXIT_SETTINGS)
    try:
        report, role_id = wiring.init_vault(ctx.settings, dry_run=dry_run, force=force)
    except VaultSetupDrift as drift:
        for change in drift.changes:
            _echo_change("differs:", change)
        fail(
            f"refused: {len(drift.changes)} item(s) in Vault differ from what credbot would "
            "write; nothing was changed. Review with --dry-run, apply with --force.",
            EXIT_REFUSED,
        )
    prefix = (
        {"create": "would create:", "update": "would update:"}
        if dry_run
        else {"create": "created:", "update": "updated:"}
    )
    for change in report.changes:
        _echo_change(prefix[change.action], change)
    for item in report.unchanged:
        click.echo(f"in place:     {item}")
    if role_id is not None:
        click.echo(f"AppRole role ID (set VAULT_ROLE_ID): {role_id}")
    _echo_audit_devices(ctx.settings)
    if dry_run:
        click.echo("dry run: nothing was changed")
    elif secret_id_file is not None:
        wiring.write_secret_id(ctx.settings, secret_id_file)
        click.echo(f"AppRole secret ID written to {secret_id_file} (set VAULT_SECRET_ID_FILE)")


def _echo_audit_devices(settings: Settings) -> None:
    """Say whether a file audit device is on (shared-account detection reads it), and how to
    add one: OpenBao 2.x takes them only from the server's configuration, not from the API."""
    devices = wiring.audit_devices(settings)
    wanted = settings.audit_log or Path("/var/log/openbao/audit.log")
    if devices is None:
        click.echo(
            "audit device: Vault does not list audit devices to this token (it needs sudo on "
            "sys/audit, in the root namespace), so credbot cannot tell"
        )
    files = [device for device in devices or [] if device.type == "file"]
    for device in files:
        click.echo(f"audit device: file {device.path} writes {device.file_path}")
    if devices is not None and not files:
        click.echo(
            "audit device: none of type file; shared-account detection (CREDBOT_AUDIT_LOG) "
            "needs one. Add this to the server's configuration and restart it:"
        )
        click.echo(file_stanza(wanted), nl=False)
    elif settings.audit_log and str(settings.audit_log) not in {d.file_path for d in files}:
        click.echo(
            f"audit device: CREDBOT_AUDIT_LOG is {settings.audit_log}, which no file audit "
            "device writes that Vault lists"
        )


def _echo_change(prefix: str, change: SetupChange) -> None:
    click.echo(f"{prefix:<13} {change.item}")
    for line in change.details:
        click.echo(f"    {line}")


@vault_group.command("rotate-secret-id")
@click.option(
    "--secret-id-file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The new file (0600) the new secret ID is written to; it must not exist.",
)
@pass_context
@exits_cleanly
def vault_rotate_secret_id(ctx: Context, secret_id_file: Path) -> None:
    """Give the bot a new AppRole secret ID and destroy every earlier one.

    Needs an admin VAULT_TOKEN. Point the bot at the new file (VAULT_SECRET_ID_FILE) and restart
    it: a bot still on an old secret ID keeps its current token (at most an hour) and then
    cannot log in again.
    """
    if secret_id_file.exists():
        fail(f"{secret_id_file} exists: choose a new file (nothing was changed)", EXIT_SETTINGS)
    destroyed = wiring.rotate_secret_id(ctx.settings, secret_id_file)
    click.echo(f"AppRole secret ID written to {secret_id_file} (set VAULT_SECRET_ID_FILE)")
    click.echo(f"earlier secret IDs destroyed: {destroyed}")
