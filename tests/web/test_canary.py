"""The revealed secrets appear in no log line (uvicorn's access log included), no database row
and no audit event, after the whole path through the page, with DEBUG logging everywhere."""

from __future__ import annotations

import json
import logging

import httpx
import pyotp
import pytest
from sqlalchemy.engine import Engine

from bot.core import links
from bot.core.audit import entry_as_json
from bot.core.context import Core
from tests.core.test_no_secret_leaks import dump_database
from tests.support.contractor import fresh_code, wrong_code
from tests.support.links import stored_link
from tests.support.logs import capture_debug
from tests.support.notifier import RecordingNotifier
from tests.web.conftest import Issued


def test_revealed_secrets_leave_no_trace(
    client: httpx.Client,
    core: Core,
    engine: Engine,
    issued: Issued,
    notifier: RecordingNotifier,
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture_debug(caplog)
    canaries: list[str] = []
    for as_json in (True, False):  # the fetch path and the form path
        _, secret = issued()
        code = notifier.code_for(secret)
        link = stored_link(core.store, links.link_hash(secret))
        assert link is not None
        delivery = links.unseal_delivery(secret, link.sealed_delivery)
        send = (
            {"json": {"secret": secret, "code": code}}
            if as_json
            else {"data": {"secret": secret, "code": code}}
        )
        client.post("/enroll/status", json={"secret": secret})
        client.post("/enroll/reveal", json={"secret": secret, "code": "ZZZ-ZZ2"})
        revealed = client.post("/enroll/reveal", **send)  # type: ignore[arg-type]
        assert revealed.status_code == 200
        if as_json:
            body = revealed.json()
            password, seed, uri = body["password"], body["totp_secret"], body["totp_uri"]
            proof = body["proof"]
        else:
            text = revealed.text
            password = text.split('id="password">')[1].split("<")[0]
            seed = text.split('id="seed">')[1].split("<")[0].replace(" ", "")
            uri = text.split('id="uri" class="long">')[1].split("<")[0].replace("&amp;", "&")
            proof = text.split('name="proof" value="')[1].split('"')[0]
        assert pyotp.TOTP(seed).secret == seed and seed in uri
        form = {"secret": secret, "proof": proof, "password": password}
        client.post("/enroll/confirm", json={**form, "code": "00000x"})
        client.post("/enroll/confirm", json={**form, "password": password + "x", "code": "1"})
        client.post("/enroll/confirm", json={**form, "code": wrong_code(seed)})
        confirmed = client.post("/enroll/confirm", json={**form, "code": fresh_code(seed)})
        assert confirmed.status_code == 200
        client.post("/enroll/reveal", json={"secret": secret, "code": code})  # used
        canaries += [secret, delivery.password, delivery.mfa_secret, password, seed, uri, code]
        canaries.append(proof)

    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any('"POST /enroll/reveal HTTP/1.1" 200' in line for line in access), access
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    audit = "\n".join(json.dumps(entry_as_json(e.entry)) for e in core.store.audit_events())
    places = {
        "logs": "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "database": dump_database(engine),
        "audit": audit,
        "requester messages": repr(notifier.requester_events),
        "alerts": repr(notifier.alerts),
    }
    for canary in canaries:
        for place, text in places.items():
            assert canary not in text, f"a secret leaked into the {place}"
