"""One-time enrollment links.

A link is ``<public_url>/enroll#<secret>``. The secret (256 random bits) travels in the URL
fragment, which browsers never send to a server, so it reaches no access log, proxy or Referer
header. The database keeps only ``link_hash`` (SHA-256 of the secret) to find the link, and the
Vault wrapping token sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the secret.
A stolen database therefore yields neither a usable link nor a usable wrapping token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.core.errors import LinkNotFound

SECRET_BYTES = 32
ENROLL_PATH = "/enroll"
_HASH_DOMAIN = b"credbot link id v1\x00"
_KEY_INFO = b"credbot wrapping-token key v1"
_NONCE_BYTES = 12


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


def link_hash(secret: str) -> str:
    """SHA-256 (domain-separated) of a link secret, hex."""
    return hashlib.sha256(_HASH_DOMAIN + secret.encode()).hexdigest()


def _key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(
        secret.encode()
    )


def seal(secret: str, plaintext: str) -> str:
    """Encrypt ``plaintext`` under the key derived from ``secret``; bound to the link hash."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(_key(secret)).encrypt(nonce, plaintext.encode(), link_hash(secret).encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


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
