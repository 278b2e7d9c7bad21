"""Acting as the contractor (or the review tool) against the real OpenBao: enrolling through
the core, and logging in every day with password and a TOTP code (Vault's login MFA).

Codes come from the seed the contractor revealed, as their authenticator app would make them.
Vault accepts a code once, and the step before and after the current one too, so
``fresh_code`` hands out each of those three at most once per seed and waits for the next
step when all are used: tests may log in several times a minute without replaying a code.
"""

from __future__ import annotations

import threading
import time

import hvac
import pyotp
import pytest

from bot.core import enrolment
from bot.core.context import Core
from bot.core.models import Contractor
from vault import userpass
from vault.client import connect
from vault.errors import LoginRefused, MfaCodeRejected, VaultPermissionDenied
from vault.login import login_with_totp
from vault.models import AccountSecrets
from vault.tokens import lookup_self

_used: dict[str, set[str]] = {}
_lock = threading.Lock()
PREVIOUS_MARGIN_S = 15.0


def fresh_code(seed: str) -> str:
    """A code Vault accepts now and has not seen from these tests (the app's next code).
    The previous window's code is only taken with ``PREVIOUS_MARGIN_S`` left before the next
    window begins: after that boundary it is two windows old, and a loaded machine can take
    that long to hand it to Vault."""
    totp = pyotp.TOTP(seed)
    while True:
        now = time.time()
        with _lock:
            used = _used.setdefault(seed, set())
            for offset in (0, 30, -30):
                if offset < 0 and 30 - now % 30 < PREVIOUS_MARGIN_S:
                    continue
                code = totp.at(now + offset)
                if code not in used:
                    used.add(code)
                    return code
        time.sleep(30 - now % 30 + 0.05)


def wrong_code(seed: str) -> str:
    """Six digits that are none of the codes Vault would accept now."""
    totp = pyotp.TOTP(seed)
    valid = {totp.at(time.time() + step * 30) for step in (-1, 0, 1, 2)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid)


def enrol(core: Core, secret: str, confirmation_code: str) -> AccountSecrets:
    """Reveal the link and prove the first login, as the page does; the contractor is
    ``active`` afterwards. Returns what the contractor saved."""
    revealed = enrolment.reveal(core, secret, confirmation_code)
    prove(core, secret, revealed)
    return revealed.secrets


def prove(core: Core, secret: str, revealed: enrolment.Revealed) -> Contractor:
    """The page's proof step with the right password and a fresh code."""
    return enrolment.prove_first_login(
        core,
        secret,
        revealed.proof_token,
        revealed.secrets.password,
        fresh_code(revealed.secrets.totp_secret),
    )


def prove_while_vault_is_down(core: Core, secret: str, revealed: enrolment.Revealed) -> Contractor:
    """The page's proof step with the app's current code rather than a fresh one: Vault is
    down, so it never sees the code, and a fresh one would be used up for nothing and make the
    logins after the outage wait for the next step."""
    return enrolment.prove_first_login(
        core,
        secret,
        revealed.proof_token,
        revealed.secrets.password,
        pyotp.TOTP(revealed.secrets.totp_secret).now(),
    )


def login(addr: str, secrets: AccountSecrets, *, source: str | None = None) -> hvac.Client:
    """Log in as the review tool does every day (password, then a code), from the local
    address ``source`` when given; return a client holding the token. Raises
    ``LoginRefused`` / ``MfaCodeRejected`` when Vault says no. The code is drawn from
    ``fresh_code`` only once the password was accepted, so a login refused at the password
    (a revoked account) uses up no code and never waits for the next step."""
    client = connect(addr)
    if source is not None:  # another machine, as Vault's audit device sees it
        client.adapter.session.pool.connection_pool_kw["source_address"] = (source, 0)
    auth = login_with_totp(
        client, secrets.username, secrets.password, lambda: fresh_code(secrets.totp_secret)
    )
    client.token = auth["client_token"]
    return client


def login_fails(addr: str, secrets: AccountSecrets) -> bool:
    """Whether a full login (right password, the app's current code) is refused. The code is
    not taken from ``fresh_code``: a login expected to fail must not make others wait."""
    client = connect(addr)
    code = pyotp.TOTP(secrets.totp_secret).now()
    try:
        login_with_totp(client, secrets.username, secrets.password, code)
    except (LoginRefused, MfaCodeRejected):
        return True
    return False


def can_log_in(addr: str, secrets: AccountSecrets) -> bool:
    """Whether a full login with a code Vault has not seen yet succeeds (what a contractor
    who still has access can do)."""
    try:
        login(addr, secrets)
    except (LoginRefused, MfaCodeRejected):
        return False
    return True


def password_alone_opens_nothing(addr: str, secrets: AccountSecrets) -> bool:
    """The password step alone yields no token, only the demand for a code (or a refusal)."""
    try:
        auth = userpass.login(connect(addr), secrets.username, secrets.password)
    except LoginRefused:
        return True
    return not auth.get("client_token") and isinstance(auth.get("mfa_requirement"), dict)


def token_policies(client: hvac.Client) -> list[str]:
    """The policies of the token ``client`` holds."""
    return list(lookup_self(client)["policies"])


def token_rejected(client: hvac.Client) -> bool:
    """Whether the token ``client`` holds no longer works at all (lookup-self: 403)."""
    try:
        lookup_self(client)
    except VaultPermissionDenied:
        return True
    return False


def assert_token_rejected(client: hvac.Client) -> None:
    """The client's token no longer works at all."""
    with pytest.raises(VaultPermissionDenied):
        lookup_self(client)
