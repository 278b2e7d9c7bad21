"""Contractors from before login MFA: locked out the moment ``vault init`` enforces it (never
password-only), then moved over by the sweep with a reissue and a new link."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.core import issuing
from bot.core.context import Core
from bot.core.models import Contractor
from bot.core.states import State
from bot.core.sweep import SweepOptions, sweep
from tests.support.contractor import enrol, login_fails, password_alone_opens_nothing
from tests.support.core import APPROVER, approved_contractor, link_secret
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from vault import legacy_totp, userpass
from vault.client import request
from vault.models import AccountSecrets

RUN = SweepOptions(worker="test-sweep")


def from_before_login_mfa(
    core: Core, engine: Engine, openbao: OpenBaoServer
) -> tuple[Contractor, AccountSecrets]:
    """An active contractor whose account looks as one issued before login MFA does: a key in
    the old TOTP engine, and the database row migration 0006 marked ``totp_engine``."""
    contractor = approved_contractor(core)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    saved = enrol(core, link_secret(issued.url), issued.code)
    root = openbao.root_client()
    if "credbot-totp/" not in root.sys.list_mounted_secrets_engines()["data"]:
        root.sys.enable_secrets_engine("totp", path="credbot-totp")
    request(
        root,
        "POST",
        f"credbot-totp/keys/{saved.username}",
        json={"generate": True, "exported": False, "issuer": "credbot", "account_name": "x"},
    )
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE vault_accounts SET second_factor = 'totp_engine' WHERE username = :u"),
            {"u": saved.username},
        )
    return core.store.get_contractor(contractor.id), saved


def test_the_sweep_moves_them_over_with_a_new_link(
    core: Core, engine: Engine, openbao: OpenBaoServer, notifier: RecordingNotifier
) -> None:
    old, saved = from_before_login_mfa(core, engine, openbao)
    assert password_alone_opens_nothing(openbao.addr, saved)
    links_before = len(notifier.links)

    planned = sweep(core, SweepOptions(worker="test-sweep", dry_run=True))
    assert planned.moved_to_login_mfa == [old.id]
    assert core.store.get_contractor(old.id).username == saved.username

    report = sweep(core, RUN)

    assert report.moved_to_login_mfa == [old.id]
    moved = core.store.get_contractor(old.id)
    assert moved.state is State.ISSUED and moved.username != saved.username
    assert len(notifier.links) == links_before + 1  # a new one-time link, by DM
    root = openbao.root_client()
    assert userpass.read_user(root, saved.username) is None
    assert not legacy_totp.read_key_exists(root, saved.username)
    assert login_fails(openbao.addr, saved)
    (account,) = core.store.unrevoked_accounts(old.id)
    assert (account.username, account.second_factor) == (moved.username, "login_mfa")
    reissue = [e.entry for e in core.store.audit_events() if e.entry.action == "reissued"]
    assert "login MFA" in reissue[-1].reason

    # The new account is a login-MFA one: the next sweep leaves it alone.
    assert sweep(core, RUN).moved_to_login_mfa == []
    enrol(core, link_secret(notifier.last_link), notifier.code_for(link_secret(notifier.last_link)))
    assert core.store.get_contractor(old.id).state is State.ACTIVE


def test_accounts_issued_with_login_mfa_are_never_moved(core: Core) -> None:
    contractor = approved_contractor(core)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    enrol(core, link_secret(issued.url), issued.code)
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE
    assert sweep(core, RUN).moved_to_login_mfa == []
