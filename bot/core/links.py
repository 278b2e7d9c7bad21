"""One-time enrollment links.

A link is ``<public_url>/enroll#<secret>``. The secret (256 random bits) travels in the URL
fragment, which browsers never send to a server, so it reaches no access log, proxy or Referer
header. The database keeps only ``link_hash`` (SHA-256 of the secret) to find the link, and the
Vault wrapping token sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the secret.
A stolen database therefore yields neither a usable link nor a usable wrapping token.

Next to the link, the contractor's DM shows a short **confirmation code** that the page asks for
before revealing. A link scanner, unfurler or mail-security crawler that opens links and even
clicks buttons only sees the link, not the code, so it cannot burn the link; after a few wrong
codes the link is invalidated and a manager reissues. Only an HMAC of the code, keyed by the
link secret, is stored, so the database does not allow guessing it offline either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.core.errors import LinkNotFound
from vault.models import Delivery

SECRET_BYTES = 32
ENROLL_PATH = "/enroll"
_HASH_DOMAIN = b"credbot link id v1\x00"
_KEY_INFO = b"credbot wrapping-token key v1"
_CODE_KEY_INFO = b"credbot confirmation-code key v1"
_PROOF_KEY_INFO = b"credbot proof-token key v1"
PROOF_TOKEN_BYTES = 32
_NONCE_BYTES = 12
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I/L: the code is read off one screen and typed on another."""
CODE_LENGTH = 6


@dataclass(frozen=True)
class LinkSecret:
    """A freshly made link secret; ``value`` must only ever reach the contractor's DM."""

    value: str = field(repr=False)

    @classmethod
    def generate(cls) -> LinkSecret:
        """Return a new secret with 256 bits from ``secrets``."""
        return cls(secrets.token_urlsafe(SECRET_BYTES))

    @property
    def hash(self) -> str:
        """The lookup key stored in the database."""
        return link_hash(self.value)

    def url(self, public_url: str) -> str:
        """The link to send: the secret in the fragment, never in the path or query."""
        return f"{public_url.rstrip('/')}{ENROLL_PATH}#{self.value}"


def new_confirmation_code() -> str:
    """Six characters from ``CODE_ALPHABET`` (about 30 bits), shown as ``ABC-DEF``."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{code[:3]}-{code[3:]}"


def normalise_code(code: str) -> str:
    """Upper-case, without spaces or dashes: what the contractor meant to type."""
    return code.upper().replace("-", "").replace(" ", "").strip()


def is_confirmation_code(code: str) -> bool:
    """Whether ``code``, normalised, could be a confirmation code at all (length, alphabet)."""
    normalised = normalise_code(code)
    return len(normalised) == CODE_LENGTH and all(c in CODE_ALPHABET for c in normalised)


def confirmation_digest(secret: str, code: str) -> str:
    """HMAC-SHA256 of the normalised code under a key derived from the link secret."""
    return hmac.new(
        _key(secret, _CODE_KEY_INFO), normalise_code(code).encode(), hashlib.sha256
    ).hexdigest()


def code_matches(secret: str, code: str, digest: str) -> bool:
    """Constant-time check of a typed code against the stored digest."""
    return hmac.compare_digest(confirmation_digest(secret, code), digest)


def new_proof_token() -> str:
    """The token ``reveal`` hands back to the browser that revealed (256 bits): the proof step
    needs it, so someone holding only the URL can neither try codes nor burn the link."""
    return secrets.token_urlsafe(PROOF_TOKEN_BYTES)


def proof_digest(secret: str, token: str) -> str:
    """HMAC-SHA256 of a proof token under a key derived from the link secret (what is stored)."""
    return hmac.new(_key(secret, _PROOF_KEY_INFO), token.encode(), hashlib.sha256).hexdigest()


def proof_matches(secret: str, token: str, digest: str | None) -> bool:
    """Constant-time check of a proof token against the stored digest (``None``: no reveal)."""
    return digest is not None and hmac.compare_digest(proof_digest(secret, token), digest)


def link_hash(secret: str) -> str:
    """SHA-256 (domain-separated) of a link secret, hex."""
    return hashlib.sha256(_HASH_DOMAIN + secret.encode()).hexdigest()


def _key(secret: str, info: bytes = _KEY_INFO) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


def seal(secret: str, plaintext: str) -> str:
    """Encrypt ``plaintext`` under the key derived from ``secret``; bound to the link hash."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(_key(secret)).encrypt(nonce, plaintext.encode(), link_hash(secret).encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def seal_delivery(secret: str, delivery: Delivery) -> str:
    """``seal`` both wrapping tokens of a delivery together."""
    return seal(secret, json.dumps({"password": delivery.password, "mfa": delivery.mfa_secret}))


def unseal_delivery(secret: str, sealed: str) -> Delivery:
    """Reverse ``seal_delivery``; raise ``LinkNotFound`` when the secret does not open it."""
    tokens = json.loads(unseal(secret, sealed))
    return Delivery(password=tokens["password"], mfa_secret=tokens["mfa"])


def unseal(secret: str, sealed: str) -> str:
    """Reverse ``seal``; raise ``LinkNotFound`` when the secret does not open it."""
    raw = base64.urlsafe_b64decode(sealed.encode())
    try:
        plain = AESGCM(_key(secret)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], link_hash(secret).encode()
        )
    except InvalidTag as exc:
        raise LinkNotFound() from exc
    return plain.decode()
