"""Reading contractor logins out of Vault's audit device: one line of its JSON log at a time.

Pure: no I/O, so every rule here is tested on literal lines.

Which entries count. A login with login MFA is two requests: ``auth/credbot/login/<user>``
(the password; Vault answers with an ``mfa_requirement`` and no token) and then
``sys/mfa/validate`` (the code; Vault answers with the token). credbot counts the first one's
*response* entry when Vault accepted the password:

- its path names the user in clear (``auth/credbot/login/ctr-…``), and ``remote_address`` is
  in clear too, while the audit device HMACs the password and every secret;
  ``sys/mfa/validate`` names the user only in the token's metadata, and its request carries
  nothing that ties it to a mount;
- a password that works from a second address is what gives a shared account away, whether
  or not that person also holds the TOTP seed: a password typed from two places within
  minutes has left its owner;
- a wrong password (``error: invalid credentials``) proves nothing (anyone can type a
  username), so it is not counted: nobody can get an account flagged, or locked, by
  guessing names.

Vault checks the password before the user's bound CIDRs (and before a disabled entity), so
``error: permission denied`` on this path means the right password from a refused place:
counted, and marked ``refused``. A request entry (``type: request``) is not a login yet and
is not counted either, so each login counts once.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

LOGIN_PATH = re.compile(r"^auth/credbot/login/(?P<username>[A-Za-z0-9_.@-]{1,128})$")
"""The login path of credbot's userpass mount, with the username Vault logs in clear."""
REFUSED_AFTER_CHECK = "permission denied"
"""What Vault's userpass answers when the password matched but the address (bound CIDRs) or
the entity (disabled) is refused."""
_FRACTION = re.compile(r"\.(\d+)")


class UnparseableLine(ValueError):
    """The line is not an audit entry credbot can read (not JSON, no time, no type, ...)."""


@dataclass(frozen=True)
class VaultLogin:
    """One login to credbot's mount in which Vault accepted the password.

    ``request_id`` is Vault's, unique per request: the same entry read twice is one login.
    ``refused``: the password was right but Vault refused the login (the address is outside
    the user's bound CIDRs, or the account is locked)."""

    request_id: str
    username: str
    remote_address: str
    at: datetime
    refused: bool = False


def parse_line(line: bytes) -> VaultLogin | None:
    """The login in one audit-log line, ``None`` for any other entry (another path, a
    request entry, a wrong password). Raises ``UnparseableLine`` for a line that is not a
    Vault audit entry at all."""
    try:
        entry = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise UnparseableLine("not JSON") from None
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise UnparseableLine("not an audit entry (no type)")
    request = entry.get("request")
    if not isinstance(request, dict):
        raise UnparseableLine("not an audit entry (no request)")
    path = request.get("path")
    match = LOGIN_PATH.match(path) if isinstance(path, str) else None
    if entry["type"] != "response" or match is None:
        return None
    error = entry.get("error")
    if error not in (None, "", REFUSED_AFTER_CHECK):
        return None
    return VaultLogin(
        request_id=_text(request, "id"),
        username=match["username"],
        remote_address=_address(request.get("remote_address")),
        at=_time(entry.get("time")),
        refused=error == REFUSED_AFTER_CHECK,
    )


def _text(request: dict[str, object], key: str) -> str:
    value = request.get(key)
    if not isinstance(value, str) or not value or len(value) > 64:
        raise UnparseableLine(f"a login without a usable request {key}")
    return value


def _address(value: object) -> str:
    try:
        return str(ipaddress.ip_address(value if isinstance(value, str) else ""))
    except ValueError:
        raise UnparseableLine("a login without a usable remote_address") from None


def _time(value: object) -> datetime:
    """Vault's RFC 3339 time with nanoseconds, to the microsecond Python keeps."""
    if not isinstance(value, str):
        raise UnparseableLine("a login without a time")
    text = _FRACTION.sub(lambda m: "." + m[1][:6].ljust(6, "0"), value.replace("Z", "+00:00"))
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UnparseableLine("a login whose time is not RFC 3339") from None
    if at.tzinfo is None:
        raise UnparseableLine("a login whose time has no zone")
    return at.astimezone(UTC)
