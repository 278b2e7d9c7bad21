"""The contractor's part of ``credbot demo``: enrol through the real page, then log in to Vault
the way they (or the review tool) will every day, with a password and a code.

The demo computes TOTP codes from the seed it revealed, which a real contractor's authenticator
app does instead: it says so when it does. Nothing here is used outside the demo.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pyotp

from vault.client import connect, request
from vault.errors import LoginRefused, MfaCodeRejected, VaultPermissionDenied
from vault.login import login_with_totp
from vault.models import AccountSecrets
from vault.userpass import login as password_step

Say = Callable[[str], None]
RECORDING = "review/data/recording-1"


def enrol_through_the_page(
    base_url: str, link: str, confirmation_code: str, say: Say
) -> tuple[AccountSecrets, AuthenticatorApp]:
    """Reveal with the confirmation code and prove the first login, through ``POST
    /enroll/reveal`` and ``POST /enroll/confirm`` as the page's script sends them."""
    secret = link.split("#", 1)[1]
    revealed = _post(base_url, "/enroll/reveal", {"secret": secret, "code": confirmation_code})
    saved = AccountSecrets(
        username=revealed["username"],
        password=revealed["password"],
        totp_uri=revealed["totp_uri"],
        totp_secret=revealed["totp_secret"],
    )
    label = f"{revealed['issuer']}: {revealed['account']}"
    say(f"   revealed once: username {saved.username}, a password, a QR code ({label})")
    say("   (the demo computes TOTP codes from the revealed seed only because it is a demo:")
    say("    a contractor's authenticator app makes them, and credbot never keeps the seed)")
    app = AuthenticatorApp(saved.totp_secret)
    proof = {"secret": secret, "proof": revealed["proof"], "password": saved.password}
    done = _post(base_url, "/enroll/confirm", {**proof, "code": app.code()})
    say(f"   first login (password + code), checked by Vault's login MFA: {done['status']}")
    return saved, app


def log_in_every_day(
    vault_addr: str, saved: AccountSecrets, app: AuthenticatorApp, say: Say
) -> None:
    """Show the daily login: the password alone opens nothing; password and code give a token
    that reads a recording. Raises ``RuntimeError`` if Vault ever behaves otherwise."""
    say(f"   bao login -method=userpass -path=credbot username={saved.username}")
    say("   (bao asks for the password, then for the code)")
    auth = password_step(connect(vault_addr), saved.username, saved.password)
    if auth.get("client_token") or not auth.get("mfa_requirement"):
        raise RuntimeError("the password alone logged in: login MFA is not enforced")
    say("   password alone: no token, Vault asks for a code (mfa_requirement)")
    client = connect(vault_addr)
    auth = login_with_totp(client, saved.username, saved.password, app.code())
    client.token = auth["client_token"]
    body = request(client, "GET", RECORDING) or {}
    say(f"   password + code: a token with {', '.join(auth['policies'])}")
    say(f"   it reads {RECORDING}: {body['data']['data']}")
    try:
        request(client, "POST", RECORDING, json={"data": {"audio": "changed"}})
    except VaultPermissionDenied:
        say("   writing the recording: refused (the role reads, nothing more)")


def refused_after_offboarding(
    vault_addr: str, saved: AccountSecrets, app: AuthenticatorApp, say: Say
) -> None:
    """Show that the full login (password and a valid code) opens nothing after offboarding."""
    try:
        # the code is drawn only if Vault asks for one: a refused password waits for none
        login_with_totp(connect(vault_addr), saved.username, saved.password, app.code)
    except (LoginRefused, MfaCodeRejected) as refused:
        say(f"   full login after offboarding: refused ({type(refused).__name__})")
        return
    raise RuntimeError("the contractor could still log in after offboarding")


class AuthenticatorApp:
    """The contractor's phone, played by the demo: codes from the revealed seed. Vault takes a
    code once, so a second login in the same 30 seconds waits for the next code, as a person
    would."""

    def __init__(self, seed: str) -> None:
        self._totp = pyotp.TOTP(seed)
        self._last = ""

    def code(self) -> str:
        """The code the app shows now (the next one if this one was used already)."""
        code = self._totp.now()
        if code == self._last:
            time.sleep(30 - time.time() % 30 + 0.1)
            code = self._totp.now()
        self._last = code
        return code


def _post(base_url: str, path: str, body: dict[str, str]) -> dict[str, Any]:
    call = urllib.request.Request(  # noqa: S310 - the demo's own loopback server
        f"{base_url}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(call, timeout=30) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read())
    return answer
