"""Secrets (passwords, TOTP seeds, wrapping tokens, link secrets) appear in no log line, no
database row and no audit event, with DEBUG logging on for every library."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.core import enrolment, issuing, links, onboarding, revocation
from bot.core.audit import entry_as_json
from bot.core.context import Core
from bot.core.errors import CredbotError
from tests.support.contractor import prove
from tests.support.core import APPROVER, MANAGER, approved_contractor, link_secret, request_for
from tests.support.links import stored_link
from tests.support.logs import capture_debug
from tests.support.notifier import RecordingNotifier


def dump_database(engine: Engine) -> str:
    """Every row of every table, as text."""
    rows = []
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                rows.append(f"{table}: {tuple(row)!r}")
    return "\n".join(rows)


def test_lifecycle_leaves_no_secret_behind(
    core: Core,
    engine: Engine,
    notifier: RecordingNotifier,
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture_debug(caplog)
    canaries: list[str] = []
    errors: list[str] = []

    contractor = approved_contractor(core)
    for _ in range(2):  # issue, then reissue: two sets of secrets
        issued = issuing.issue(core, contractor.id, actor=APPROVER)
        secret = link_secret(issued.url)
        link = stored_link(core.store, links.link_hash(secret))
        assert link is not None
        revealed = enrolment.reveal(core, secret, notifier.code_for(secret))
        secrets = revealed.secrets
        delivery = links.unseal_delivery(secret, link.sealed_delivery)
        canaries += [
            secret,
            delivery.password,
            delivery.mfa_secret,
            revealed.proof_token,
            secrets.password,
            secrets.totp_secret,
            secrets.totp_uri,
        ]
        for password, code in ((secrets.password, "000000"), ("wrong-" + secrets.password, "1")):
            try:
                enrolment.prove_first_login(core, secret, revealed.proof_token, password, code)
            except CredbotError as exc:
                errors.append(str(exc))
        try:
            enrolment.reveal(core, secret, notifier.code_for(secret))
        except CredbotError as exc:
            errors.append(str(exc))
    prove(core, secret, revealed)
    revocation.offboard(core, contractor.id, actor=MANAGER, reason="contract ended")
    onboarding.request_onboarding(core, request_for(contractor.slack_user_id), requester=MANAGER)

    audit = "\n".join(json.dumps(entry_as_json(event.entry)) for event in core.store.audit_events())
    places = {
        "logs": caplog.text,
        "database": dump_database(engine),
        "audit": audit,
        "errors": "\n".join(errors),
        "requester messages": repr(notifier.requester_events),
        "alerts": repr(notifier.alerts),
    }
    assert "DEBUG" in caplog.text, "the scan is only meaningful with DEBUG logs captured"
    for canary in canaries:
        assert len(canary) >= 16
        for place, text in places.items():
            assert canary not in text, f"a secret leaked into the {place}"
