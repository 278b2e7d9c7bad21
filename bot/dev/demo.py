"""``credbot demo``: the real app, driven the way Slack drives it, for someone with no Slack.

It starts a throwaway OpenBao dev server (never an environment's ``VAULT_ADDR``: the demo
writes policies and roles, which must never touch a real Vault), sets it up exactly as
``credbot vault init`` does, logs the bot in through its AppRole with
its own least-privilege policy, uses a SQLite file, and serves the real ASGI app
(``bot.wiring.build_server``: Slack endpoint, enrollment page, health) with uvicorn on a free
loopback port. Slack itself is a **local stand-in** (``bot.dev.slack_standin``): the bot's Web
API calls go there and are recorded, and the manager's ``/contractor onboard`` and the
approver's click are sent to the app as real Slack-signed HTTP requests.

The contractor's one-time link and confirmation code are printed as the stand-in's recorded DM
shows them: the one place credbot ever prints a link, because everything here is local. Then
the contractor enrols through the real page and logs in to Vault as they will every day
(``bot.dev.demo_contractor``), before the manager offboards them.
"""

from __future__ import annotations

import secrets
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import wiring
from bot.config import Settings, load_settings
from bot.core.anchoring import anchor_chain, check_trail
from bot.dev import demo_contractor
from bot.dev.openbao import OpenBaoDevServer, free_port
from bot.dev.server import BackgroundServer
from bot.dev.slack_requests import Reply, SignedSlack, block_action, view_submission
from bot.dev.slack_standin import STANDIN_BOT_TOKEN, Call, SlackStandIn
from bot.slack import blocks
from vault.client import connect, request
from vault.mounts import enable_secrets_engine, list_secrets_engines

MANAGER = "UDEMOMANAGER"
APPROVER = "UDEMOAPPROVER"
CONTRACTOR = "UDEMOCONTRACTOR"
APPROVAL_CHANNEL = "CDEMOAPPROVALS"
AUDIT_CHANNEL = "CDEMOAUDIT"
WAIT_S = 60.0
SIGNAL_CHECK_S = 0.2
"""How often the kept-running demo wakes to run a pending Ctrl-C or SIGTERM."""

Say = Callable[[str], None]


def run_demo(
    data_dir: Path,
    say: Say,
    *,
    keep_running: bool = False,
    stop: threading.Event | None = None,
) -> None:
    """Run the walk-through; raise on any failure (the CLI maps it to an exit code).

    With ``keep_running`` the server stays up after printing the link until ``stop`` is set
    (the CLI sets it on Ctrl-C), so the link can be opened in a browser.
    """
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(mode=0o700, parents=True)  # the AppRole secret ID, the database, bao's log
    base = load_settings()
    standin = SlackStandIn()
    web: BackgroundServer | None = None
    vault = OpenBaoDevServer(log_path=data_dir / "openbao.log").start()
    say(f"OpenBao dev server started at {vault.addr} (in memory, thrown away at the end)")
    try:
        admin = _vault_settings(base, data_dir, vault, admin=True)
        report, role_id = wiring.init_vault(admin)
        say(f"Vault set up: {len(report.changed)} changes, {len(report.unchanged)} in place")
        secret_file = data_dir / "approle-secret-id"
        wiring.write_secret_id(admin, secret_file)
        bot = _vault_settings(base, data_dir, vault, role_id=role_id, secret_file=secret_file)
        say(f"Database {bot.database_url} at revision {wiring.upgrade_database(bot)}")

        standin.start()
        _populate(standin)
        port = free_port()
        signing_secret = secrets.token_hex(16)
        settings = _slack_settings(bot, standin, port, signing_secret)
        web = BackgroundServer(wiring.build_server(settings), port=port).start()
        say(f"credbot serving at {web.url} (POST /slack/events, GET /enroll, GET /healthz)")
        say(f"Slack is a LOCAL STAND-IN at {standin.url}: no real workspace is involved")
        slack = SignedSlack(web.url, signing_secret)
        link, code = _walk_through(slack, standin, say)
        if keep_running:
            say("")
            say("The server keeps running: open the link above in a browser on this machine.")
            say("Press Ctrl-C to stop (the OpenBao dev server and its accounts go with it).")
            _wait_for(stop or threading.Event())
            return
        say("5. Ana opens the link and enters the confirmation code (the page's own requests):")
        saved, app = demo_contractor.enrol_through_the_page(web.url, link, code, say)
        say("6. Every day after, Ana (or the review tool) logs in to Vault:")
        _store_a_recording(admin)
        demo_contractor.log_in_every_day(vault.addr, saved, app, say)
        _offboard(slack, standin, say)
        demo_contractor.refused_after_offboarding(vault.addr, saved, app, say)
        _verify_audit(settings, say)
        say("")
        say("Look around: the audit trail of this run is in the SQLite file above:")
        say(f"  CREDBOT_DATABASE_URL={settings.database_url} credbot audit export")
        say("Run `credbot demo --keep-running` to open the enrollment page yourself.")
    finally:
        if web is not None:
            web.stop()
        standin.stop()
        vault.stop()


def _wait_for(stop: threading.Event) -> None:
    """Wait until ``stop`` is set, waking every ``SIGNAL_CHECK_S``: Python runs a signal
    handler (Ctrl-C, the CLI's SIGTERM) only when the main thread runs, and a signal the
    kernel hands to another of the demo's threads does not wake a main thread blocked in an
    untimed wait (the demo then never stopped on SIGTERM, about one time in six)."""
    while not stop.wait(SIGNAL_CHECK_S):
        pass


def _populate(standin: SlackStandIn) -> None:
    standin.add_user(MANAGER, name="Maya Manager", email="maya@corp.example")
    standin.add_user(APPROVER, name="Sam Security", email="sam@corp.example")
    standin.add_user(CONTRACTOR, name="Ana Demo", email="ana@agency.example")


def _walk_through(slack: SignedSlack, standin: SlackStandIn, say: Say) -> tuple[str, str]:
    """Onboard, attest, approve; return the one-time link and confirmation code Ana got."""
    end = _end_date()
    text = f"onboard <@{CONTRACTOR}|ana> country=DE end={end} role=reviewer Q1 review batch"
    say("")
    say(f"1. Manager <@{MANAGER}> types: /contractor {text}")
    reply = _command(slack, standin, text, MANAGER)
    say(f"   credbot (ephemeral): {reply}")
    if "waiting" not in reply:
        raise RuntimeError(f"the identity checks did not wait for an ID check: {reply}")
    card = standin.wait_for_call("chat.postMessage", channel=APPROVAL_CHANNEL, timeout=WAIT_S)
    say(f"   verification card posted to #{APPROVAL_CHANNEL} with an 'I checked their ID' button")
    say(f"2. Approver <@{APPROVER}> checks Ana's passport on a video call and confirms it")
    _attest(slack, standin, card)
    card = standin.wait_for_call(
        "chat.postMessage", channel=APPROVAL_CHANNEL, count=2, timeout=WAIT_S
    )
    say("   every identity check passed: approval card posted with Approve / Reject buttons")
    say(f"3. Approver <@{APPROVER}> clicks Approve (never the person who asked)")
    answer = _click(slack, standin, card, blocks.APPROVE)
    say(f"   acknowledged in {answer.elapsed_s * 1000:.0f} ms; Vault work runs after the ack")
    dm = standin.wait_for_call(
        "chat.postMessage", channel=standin.dm_channel(CONTRACTOR), timeout=WAIT_S
    )
    say(f"4. credbot DMs <@{CONTRACTOR}> (unfurl_links={dm.args.get('unfurl_links')}):")
    url, code = _link_and_code(str(dm.args.get("text", "")))
    say("")
    say(f"   one-time link:      {url}")
    say(f"   confirmation code:  {code}")
    say("")
    say("   Open the link in a browser (GET /enroll on this server): it asks for the code,")
    say("   shows the username and password once and a TOTP QR code, then the first login.")
    return url, code


def _attest(slack: SignedSlack, standin: SlackStandIn, card: Call) -> None:
    """Click "I checked their ID" and submit the form Slack would show."""
    _click(slack, standin, card, blocks.ATTEST)
    form = standin.wait_for_call("views.open", timeout=WAIT_S).args["view"]
    answer = slack.interact(
        view_submission(
            user_id=APPROVER,
            callback_id=blocks.ATTEST_VIEW,
            private_metadata=str(form.get("private_metadata", "")),
            values={
                "document_type": {
                    "type": "static_select",
                    "selected_option": {"value": "passport"},
                },
                "note": {"type": "plain_text_input", "value": "call-2026-11-26"},
            },
        )
    )
    if answer.status != 200 or answer.text:
        raise RuntimeError(f"the attestation was refused: {answer.status} {answer.text}")


def _click(slack: SignedSlack, standin: SlackStandIn, card: Call, action_id: str) -> Reply:
    return slack.interact(
        block_action(
            user_id=APPROVER,
            action_id=action_id,
            value=_card_contractor(card),
            channel=APPROVAL_CHANNEL,
            message_ts=str(card.reply.get("ts", "")),
            response_url=standin.response_url(),
        )
    )


def _store_a_recording(admin: Settings) -> None:
    """A recording for the reviewer role to read (``review/`` is what its policy names)."""
    root = connect(admin.vault_addr, token=admin.vault_token)
    if "review/" not in list_secrets_engines(root):
        enable_secrets_engine(root, "kv", "review", {"version": "2"})
    request(root, "POST", demo_contractor.RECORDING, json={"data": {"audio": "clip-0001.opus"}})


def _offboard(slack: SignedSlack, standin: SlackStandIn, say: Say) -> None:
    text = f"offboard <@{CONTRACTOR}> contract ended"
    say(f"7. Manager types: /contractor {text}")
    say(f"   credbot (ephemeral): {_command(slack, standin, text, MANAGER)}")


def _verify_audit(settings: Settings, say: Say) -> None:
    """Anchor the chain in Vault (as the server's anchor job would within seconds), then check
    it against the anchor, as ``credbot audit verify`` does."""
    core = wiring.build_core(settings)
    anchor_chain(core)
    trail = check_trail(core)
    state = "intact" if trail.intact else "BROKEN"
    signed = (
        f", signed in Vault up to event #{trail.anchor.seq} (a key that cannot leave Vault)"
        if trail.anchor
        else ""
    )
    say(f"8. Audit trail: {trail.events} hash-chained events, {state}{signed}")
    if not trail.intact:
        raise RuntimeError(f"audit trail broken: {trail.breaks} {trail.anchor_problem}")


def _command(slack: SignedSlack, standin: SlackStandIn, text: str, user: str) -> str:
    response_url = standin.response_url()
    reply = slack.command(text, user_id=user, response_url=response_url)
    if reply.status != 200:
        raise RuntimeError(f"the app answered {reply.status}: {reply.text}")
    path = "/" + response_url.split("//", 1)[1].split("/", 1)[1]
    return str(standin.wait_for_call("respond", url=path, timeout=WAIT_S).args.get("text", ""))


def _card_contractor(card: Call) -> str:
    for block in card.args.get("blocks") or []:
        if block.get("type") == "actions":
            return str(block["elements"][0]["value"])
    raise RuntimeError("the card has no buttons")


def _link_and_code(text: str) -> tuple[str, str]:
    words = text.replace("*", " ").split()
    url = next((w for w in words if "/enroll#" in w), "")
    index = words.index("code:") if "code:" in words else -1
    code = words[index + 1] if 0 <= index < len(words) - 1 else ""
    if not url or not code:
        raise RuntimeError("the contractor's DM carries no link and code")
    return url, code


def _end_date() -> str:
    return (datetime.now(UTC).date() + timedelta(days=90)).isoformat()


def _slack_settings(bot: Settings, standin: SlackStandIn, port: int, secret: str) -> Settings:
    changes: dict[str, Any] = {
        "slack_bot_token": STANDIN_BOT_TOKEN,
        "slack_signing_secret": secret,
        "slack_api_url": standin.api_url,
        "public_url": f"http://127.0.0.1:{port}",
        "managers": (MANAGER,),
        "approvers": (APPROVER,),
        "admins": (MANAGER,),
        "approval_channel": APPROVAL_CHANNEL,
        "audit_channel": AUDIT_CHANNEL,
        "allowed_countries": ("DE", "NL", "PT"),
        "allowed_email_domains": ("agency.example",),
    }
    return bot.model_copy(update=changes)


def _vault_settings(
    base: Settings,
    data_dir: Path,
    server: OpenBaoDevServer,
    *,
    admin: bool = False,
    role_id: str | None = None,
    secret_file: Path | None = None,
) -> Settings:
    """The demo's settings: its own dev server (whose audit log credbot follows for shared
    accounts), a SQLite file in ``data_dir``, the bot on AppRole (the admin token only for
    the set-up)."""
    changes: dict[str, object] = {
        "audit_log": server.audit_log_path,
        "database_url": f"sqlite:///{data_dir / 'credbot.sqlite3'}",
        "link_ttl": timedelta(hours=24),
        "vault_addr": server.addr,
        "vault_role_id": None,
        "vault_secret_id": None,
    }
    if admin:
        changes["vault_token"] = server.root_token
    else:
        assert secret_file is not None
        changes |= {
            "vault_token": None,
            "vault_role_id": role_id,
            "vault_secret_id": secret_file.read_text().strip(),
        }
    return base.model_copy(update=changes)
