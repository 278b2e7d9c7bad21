"""Link secrets: where the secret travels, and that the database copy is useless without it."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest

from bot.core import links
from bot.core.errors import LinkNotFound


def test_secret_travels_only_in_the_fragment() -> None:
    secret = links.LinkSecret.generate()
    parts = urlsplit(secret.url("https://credbot.example.com/"))
    assert parts.fragment == secret.value
    assert secret.value not in parts.path + parts.query
    assert parts.path == "/enroll"


def test_secret_has_at_least_128_bits() -> None:
    secret = links.LinkSecret.generate()
    raw = base64.urlsafe_b64decode(secret.value + "=" * (-len(secret.value) % 4))
    assert len(raw) * 8 >= 128
    assert links.LinkSecret.generate().value != secret.value


def test_repr_hides_the_secret() -> None:
    secret = links.LinkSecret.generate()
    assert secret.value not in repr(secret)


def test_sealed_token_opens_only_with_its_link() -> None:
    secret, other = links.LinkSecret.generate(), links.LinkSecret.generate()
    sealed = links.seal(secret.value, "hvs.wrapping-token")
    assert "hvs.wrapping-token" not in sealed
    assert links.unseal(secret.value, sealed) == "hvs.wrapping-token"
    with pytest.raises(LinkNotFound):
        links.unseal(other.value, sealed)


def test_hash_is_not_the_secret() -> None:
    secret = links.LinkSecret.generate()
    assert secret.hash != secret.value
    assert len(secret.hash) == 64
