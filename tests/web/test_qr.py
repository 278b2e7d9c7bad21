"""The QR code the reveal page draws decodes to exactly the provisioning URI, for URIs of every
length a contractor can get (the Chromium test checks one, as a phone would see it)."""

from __future__ import annotations

import re
import secrets

import pyotp
import pytest
import zxingcpp
from PIL import Image

from bot.web.enrollment.qr import qr_svg

SCALE = 6
_RUN = re.compile(r"M(\d+),(\d+)h(\d+)v1h-(\d+)z")


def rasterise(svg: str) -> Image.Image:
    """Paint the SVG's path (one rectangle per run, as ``qr_svg`` writes it) onto white."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg)[1])  # type: ignore[index]
    path = re.search(r'<path d="([^"]*)"', svg)[1]  # type: ignore[index]
    assert _RUN.sub("", path) == "", "the path holds nothing but runs"
    image = Image.new("L", (size * SCALE, size * SCALE), 255)
    for x, y, width, back in _RUN.findall(path):
        assert width == back
        box = (int(x) * SCALE, int(y) * SCALE, (int(x) + int(width)) * SCALE, (int(y) + 1) * SCALE)
        image.paste(0, box)
    return image


@pytest.mark.parametrize("name_length", [8, 20, 40, 64])
def test_the_drawn_code_decodes_to_the_uri(name_length: int) -> None:
    username = "ctr-" + secrets.token_hex(name_length // 2)[: name_length - 4]
    uri = pyotp.TOTP(
        pyotp.random_base32(32), issuer="Acme Review", name=username
    ).provisioning_uri()
    svg = str(qr_svg(uri, label="QR code"))
    (result,) = zxingcpp.read_barcodes(rasterise(svg))
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert result.text == uri


def test_the_label_is_escaped_and_nothing_else_reaches_the_page() -> None:
    svg = str(qr_svg("otpauth://totp/x:y?secret=AAAA&issuer=x", label='<script>"'))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<") == 4  # <svg>, <rect/>, <path/>, </svg>
