"""``credbot demo``: the whole lifecycle on embedded defaults, for someone with no Slack.

It starts a throwaway OpenBao dev server (or uses ``VAULT_ADDR`` + an admin ``VAULT_TOKEN``),
sets Vault up exactly as ``credbot vault init`` does, logs the bot in through its AppRole with
its own least-privilege policy, and plays every role on a SQLite file: a manager asks, an
approver approves, the contractor reveals and proves a TOTP code, and the manager offboards.
People are told things through a stand-in that prints to the terminal (the Slack door comes
with the Slack app); the contractor's link is printed with its secret masked.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyotp

from bot import wiring
from bot.config import Settings, load_settings
from bot.core import enrolment, issuing, onboarding, revocation
from bot.core.audit import verify_chain
from bot.core.context import Core
from bot.core.models import Contractor
from bot.core.requests import OnboardingRequest
from bot.dev.openbao import OpenBaoDevServer

MANAGER = "UDEMOMANAGER"
APPROVER = "UDEMOAPPROVER"
CONTRACTOR = "UDEMOCONTRACTOR"

Say = Callable[[str], None]


@dataclass
class TerminalNotifier:
    """Prints what Slack would deliver; never prints a link's secret."""

    say: Say

    def send_link(self, contractor: Contractor, *, url: str, code: str) -> None:
        masked = url.split("#", 1)[0] + "#" + "•" * 12
        self.say(f"    DM to <@{contractor.slack_user_id}> (unfurling off): {masked} code •••-•••")

    def tell_requester(self, contractor: Contractor, *, event: str, detail: str = "") -> None:
        self.say(f"    DM to <@{contractor.requested_by}>: {event}. {detail}".rstrip())

    def alert_admins(self, *, summary: str, contractor: Contractor | None = None) -> None:
        self.say(f"    ALERT to admins: {summary}")


def run_demo(data_dir: Path, say: Say) -> None:
    """Run the walk-through; raise on any failure (the CLI maps it to an exit code)."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    base = load_settings()
    server: OpenBaoDevServer | None = None
    if not base.vault_token:
        server = OpenBaoDevServer(log_path=data_dir / "openbao.log").start()
        say(f"OpenBao dev server started at {server.addr} (in memory, thrown away at the end)")
    try:
        admin = _settings(base, data_dir, server, admin=True)
        report, role_id = wiring.init_vault(admin)
        say(f"Vault set up: {len(report.changed)} changes, {len(report.unchanged)} in place")
        secret_file = data_dir / "approle-secret-id"
        wiring.write_secret_id(admin, secret_file)
        bot = _settings(base, data_dir, server, role_id=role_id, secret_file=secret_file)
        revision = wiring.upgrade_database(bot)
        say(f"Database {bot.database_url} at revision {revision}")
        core = wiring.build_core(bot, notifier=TerminalNotifier(say))
        _walk_through(core, say)
        say("")
        say("Look around: the audit trail of this run is in the SQLite file above:")
        say(f"  CREDBOT_DATABASE_URL={bot.database_url} credbot audit export")
    finally:
        if server is not None:
            server.stop()


def _settings(
    base: Settings,
    data_dir: Path,
    server: OpenBaoDevServer | None,
    *,
    admin: bool = False,
    role_id: str | None = None,
    secret_file: Path | None = None,
) -> Settings:
    """The demo's settings: the given Vault, a SQLite file in ``data_dir``, the bot on AppRole."""
    changes: dict[str, object] = {
        "database_url": f"sqlite:///{data_dir / 'credbot.sqlite3'}",
        "link_ttl": timedelta(hours=24),
    }
    if server is not None:
        changes["vault_addr"] = server.addr
    if admin:
        changes["vault_token"] = server.root_token if server else base.vault_token
    else:
        assert secret_file is not None
        changes |= {
            "vault_token": None,
            "vault_role_id": role_id,
            "vault_secret_id": secret_file.read_text().strip(),
        }
    return base.model_copy(update=changes)


def _walk_through(core: Core, say: Say) -> None:
    today = core.clock.now().date()
    say("")
    say(f"1. Manager <@{MANAGER}> asks: /contractor onboard <@{CONTRACTOR}> country=DE ...")
    contractor = onboarding.request_onboarding(
        core,
        OnboardingRequest(
            slack_user_id=CONTRACTOR,
            email="ana@agency.example",
            display_name="Ana Demo",
            country="DE",
            end_date=today + timedelta(days=90),
            role="reviewer",
            justification="Q1 review batch",
        ),
        requester=MANAGER,
    )
    contractor, _ = onboarding.verify(core, contractor.id, checks=[])
    say(f"   -> {contractor.state.value}")
    say(f"2. Approver <@{APPROVER}> approves (never the person who asked)")
    onboarding.approve(core, contractor.id, approver=APPROVER)
    say("3. credbot creates a unique Vault account with a TOTP key and a one-time link")
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    secret = issued.url.split("#", 1)[1]
    say(f"   -> {issued.contractor.state.value} as Vault user {issued.contractor.username}")
    say("4. The contractor opens the link once and sees password and QR code (not shown here)")
    secrets = enrolment.reveal(core, secret, issued.code)
    say("5. The contractor proves the code from their authenticator app")
    active = enrolment.confirm_code(core, secret, pyotp.TOTP(secrets.totp_secret).now())
    say(f"   -> {active.state.value}: the Vault policy now grants the reviewer role")
    say(f"6. Manager offboards: /contractor offboard <@{CONTRACTOR}> contract ended")
    revoked = revocation.offboard(core, contractor.id, actor=MANAGER, reason="contract ended")
    say(f"   -> {revoked.state.value}: Vault confirmed no user, key or token survives")
    breaks = verify_chain(core.store.audit_events())
    count = sum(1 for _ in core.store.audit_events())
    say(f"7. Audit trail: {count} hash-chained events, {'intact' if not breaks else 'BROKEN'}")
    if breaks:
        raise RuntimeError(f"audit chain broken: {breaks}")
