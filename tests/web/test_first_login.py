"""The first login through the page: password and a code, checked by Vault's login MFA; only the
browser that revealed can take the step; failures count down, then lock."""

from __future__ import annotations

import httpx
import pytest

from bot.core.context import Core
from bot.core.states import State
from tests.support.contractor import fresh_code, password_alone_opens_nothing, wrong_code
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from tests.web.conftest import Issued
from vault.accounts import VaultAccounts
from vault.models import AccountSecrets


def reveal(client: httpx.Client, secret: str, code: str) -> tuple[AccountSecrets, str]:
    """What the contractor saved, and the proof token the page keeps."""
    response = client.post("/enroll/reveal", json={"secret": secret, "code": code})
    assert response.status_code == 200, response.text
    body = response.json()
    saved = AccountSecrets(
        username=body["username"],
        password=body["password"],
        totp_uri=body["totp_uri"],
        totp_secret=body["totp_secret"],
    )
    return saved, body["proof"]


def log_in(
    client: httpx.Client, secret: str, proof: str, password: str, code: str
) -> httpx.Response:
    body = {"secret": secret, "proof": proof, "password": password, "code": code}
    return client.post("/enroll/confirm", json=body)


def test_the_first_login_activates_and_the_link_is_spent(
    client: httpx.Client,
    core: Core,
    issued: Issued,
    notifier: RecordingNotifier,
    openbao: OpenBaoServer,
) -> None:
    contractor, secret = issued()
    saved, proof = reveal(client, secret, notifier.code_for(secret))
    code = fresh_code(saved.totp_secret)
    done = log_in(client, secret, proof, saved.password, code)
    assert done.status_code == 200 and done.json()["status"] == "active"
    assert "code from your authenticator app" in done.json()["message"]
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE
    assert password_alone_opens_nothing(openbao.addr, saved)
    replay = log_in(client, secret, proof, saved.password, code)
    assert replay.status_code == 410 and replay.json()["error"] == "link_used"


def test_a_code_already_used_at_vault_is_refused_and_counted(
    client: httpx.Client,
    core: Core,
    issued: Issued,
    notifier: RecordingNotifier,
    vault_accounts: VaultAccounts,
) -> None:
    """Someone who saw the code (and had the password) logged in with it first."""
    contractor, secret = issued()
    saved, proof = reveal(client, secret, notifier.code_for(secret))
    code = fresh_code(saved.totp_secret)
    vault_accounts.prove_login(username=saved.username, password=saved.password, code=code)
    refused = log_in(client, secret, proof, saved.password, code)
    assert refused.status_code == 403
    body = refused.json()
    assert (body["error"], body["retry"]) == ("totp_rejected", True)
    assert "already" in body["message"]
    assert body["tries_left"] == core.policy.max_totp_failures - 1
    assert core.store.get_contractor(contractor.id).state is State.ISSUED


def test_without_the_reveals_token_nothing_is_tried_or_counted(
    client: httpx.Client, core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    """Anyone holding only the URL: as many tries as they like, nothing burns."""
    contractor, secret = issued()
    saved, proof = reveal(client, secret, notifier.code_for(secret))
    almost = proof[:-1] + ("A" if proof[-1] != "A" else "B")
    for guess in ("", "A" * 43, almost):
        for _ in range(core.policy.max_totp_failures + 1):
            refused = log_in(client, secret, guess, "guess", "123456")
            assert refused.status_code == 403
            assert refused.json()["error"] == "proof_not_bound"
            assert "browser where you revealed" in refused.json()["message"]
    assert core.store.get_contractor(contractor.id).failed_totp_attempts == 0
    done = log_in(client, secret, proof, saved.password, fresh_code(saved.totp_secret))
    assert done.status_code == 200


def test_failed_logins_count_down_then_lock(
    client: httpx.Client,
    core: Core,
    issued: Issued,
    notifier: RecordingNotifier,
    vault_accounts: VaultAccounts,
) -> None:
    contractor, secret = issued()
    saved, proof = reveal(client, secret, notifier.code_for(secret))
    attempts = core.policy.max_totp_failures

    malformed = log_in(client, secret, proof, saved.password, "12ab56")
    assert malformed.status_code == 400  # not counted
    empty = log_in(client, secret, proof, "", fresh_code(saved.totp_secret))
    assert empty.status_code == 400  # not counted
    wrong_password = log_in(client, secret, proof, "not-it", fresh_code(saved.totp_secret))
    assert wrong_password.status_code == 403
    assert wrong_password.json()["error"] == "password_rejected"
    assert wrong_password.json()["tries_left"] == attempts - 1
    for left in range(attempts - 2, 0, -1):
        refused = log_in(client, secret, proof, saved.password, wrong_code(saved.totp_secret))
        assert refused.status_code == 403 and refused.json()["tries_left"] == left
        assert f"{left} tr" in refused.json()["message"]
    locked = log_in(client, secret, proof, saved.password, wrong_code(saved.totp_secret))
    assert locked.status_code == 410 and locked.json()["error"] == "link_locked"
    assert "reissue" in locked.json()["message"]
    assert core.store.get_contractor(contractor.id).state is State.LOCKED
    assert "locked" in notifier.events_for_requester()
    assert contractor.username not in list(vault_accounts.iter_accounts())
    after = log_in(client, secret, proof, saved.password, fresh_code(saved.totp_secret))
    assert after.status_code == 410


def test_form_posts_get_pages(
    client: httpx.Client, issued: Issued, notifier: RecordingNotifier
) -> None:
    """Without fetch (an HTML form post), every answer is a page with the same meaning."""
    _, secret = issued()
    code = notifier.code_for(secret)
    wrong_confirmation = "AAA-AAA" if code != "AAA-AAA" else "BBB-BBB"
    retry = client.post("/enroll/reveal", data={"secret": secret, "code": wrong_confirmation})
    assert retry.status_code == 403 and "4 tries left" in retry.text
    assert 'name="code"' in retry.text and f'value="{secret}"' in retry.text

    page = client.post("/enroll/reveal", data={"secret": secret, "code": code})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<svg" in page.text and "otpauth://totp/" in page.text
    assert 'type="password"' in page.text and 'autocomplete="current-password"' in page.text
    password = page.text.split('id="password">')[1].split("<")[0]
    seed = page.text.split('id="seed">')[1].split("<")[0].replace(" ", "")
    proof = page.text.split('name="proof" value="')[1].split('"')[0]
    assert len(proof) >= 43
    form = {"secret": secret, "proof": proof, "password": password}
    refused = client.post("/enroll/confirm", data={**form, "code": wrong_code(seed)})
    assert refused.status_code == 403 and "tries left" in refused.text
    assert 'name="code"' in refused.text and f'value="{proof}"' in refused.text

    done = client.post("/enroll/confirm", data={**form, "code": fresh_code(seed)})
    assert done.status_code == 200 and "You&#39;re done" in done.text
    used = client.post("/enroll/reveal", data={"secret": secret, "code": code})
    assert used.status_code == 410 and "already used" in used.text
    assert 'name="code"' not in used.text


@pytest.mark.parametrize("missing", ["proof", "password", "code"])
def test_a_missing_field_is_a_clear_400_and_counts_nothing(
    client: httpx.Client, core: Core, issued: Issued, notifier: RecordingNotifier, missing: str
) -> None:
    contractor, secret = issued()
    saved, proof = reveal(client, secret, notifier.code_for(secret))
    body = {"secret": secret, "proof": proof, "password": saved.password, "code": "123456"}
    del body[missing]
    refused = client.post("/enroll/confirm", json=body)
    assert refused.status_code == 400 and missing in refused.json()["message"]
    assert core.store.get_contractor(contractor.id).failed_totp_attempts == 0
