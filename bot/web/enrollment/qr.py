"""The TOTP QR code as inline SVG, drawn from ``qrcode``'s module matrix.

``qrcode`` encodes (versions, Reed-Solomon, masking); the SVG is written here from the matrix of
dark and light modules, one rectangle per horizontal run of dark modules. Nothing the library
renders reaches the page, only booleans, and it costs a fraction of the library's own SVG
factory (which draws and then serialises one element per module).

The mask is fixed instead of chosen by scoring all eight (what ``make`` does by default): any
mask yields a valid code (ISO/IEC 18004 lets the encoder choose), scanners read them all, and
the scoring was half of the QR code's CPU time on the reveal, which a burst of reveals queues on.
The version is fitted once: ``make(fit=True)`` fits it twice (its ``version`` property fits
before ``best_fit`` fits again), and each fit writes the data bit by bit, in pure Python, as
``make`` then does a third time to encode it.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import qrcode
import qrcode.constants
from markupsafe import Markup, escape

QUIET_ZONE = 4
"""Modules of white border the QR specification asks for."""
MASK = 0
"""The data mask (0-7); see the module docstring for why it is fixed."""


class NotAnOtpauthUri(ValueError):
    """The provisioning URI is not ``otpauth://totp/...`` with a secret, issuer and account."""


def check_otpauth_uri(uri: str) -> tuple[str, str]:
    """Return ``(issuer, account)`` of a TOTP provisioning URI, or raise ``NotAnOtpauthUri``."""
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    if parts.scheme != "otpauth" or parts.netloc != "totp" or not query.get("secret"):
        raise NotAnOtpauthUri("not a TOTP provisioning URI")
    issuer = (query.get("issuer") or [""])[0]
    account = unquote(parts.path.lstrip("/")).rpartition(":")[2]
    if not issuer or not account:
        raise NotAnOtpauthUri("the URI lacks an issuer or an account name")
    return issuer, account


def qr_svg(data: str, *, label: str) -> Markup:
    """An ``<svg>`` element drawing ``data`` as a QR code (error correction M), safe to embed.

    ``label`` becomes the image's accessible name (escaped).
    """
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE, mask_pattern=MASK
    )
    qr.add_data(data)
    qr.best_fit()
    qr.make(fit=False)
    matrix = qr.get_matrix()  # with the quiet zone
    size = len(matrix)
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="qr-code" role="img"'
        ' viewBox="0 0 {size} {size}" shape-rendering="crispEdges" aria-label="{label}">'
        '<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    ).format(size=size, label=escape(label), path=_path(matrix))


def _path(matrix: list[list[bool]]) -> str:
    """One ``M x,y h n v1 h -n z`` rectangle per horizontal run of dark modules."""
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            parts.append(f"M{start},{y}h{x - start}v1h-{x - start}z")
    return "".join(parts)
