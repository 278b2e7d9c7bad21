"""The TOTP QR code as inline SVG, from ``qrcode``'s SVG path factory.

The library's SVG is not pasted into the page as is: only its ``viewBox`` numbers and the
path's ``d`` attribute (checked against the grammar the factory emits: ``M``/``H``/``V``/``z``
and numbers) are taken, and a fixed ``<svg>`` is written around them. Whatever the library
version emits, nothing but a path reaches the page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, unquote, urlsplit

import qrcode
import qrcode.constants
from markupsafe import Markup, escape
from qrcode.image.svg import SvgPathImage

_SVG = "{http://www.w3.org/2000/svg}"
_PATH_DATA = re.compile(r"^[MHVLmhvlz0-9., -]+$")
_VIEWBOX = re.compile(r"^0 0 (\d{1,4}) (\d{1,4})$")
QUIET_ZONE = 4
"""Modules of white border the QR specification asks for."""


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
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=QUIET_ZONE,
        image_factory=SvgPathImage,
    )
    qr.add_data(data)
    qr.make(fit=True)
    # Our own library's output, not input from outside.
    root = ET.fromstring(qr.make_image().to_string(encoding="unicode"))  # noqa: S314
    viewbox = _VIEWBOX.match(root.get("viewBox", ""))
    paths = root.findall(f"{_SVG}path")
    if viewbox is None or len(paths) != 1:
        raise ValueError("unexpected SVG from qrcode")
    path = paths[0].get("d", "")
    if not _PATH_DATA.match(path):
        raise ValueError("unexpected path data from qrcode")
    width, height = viewbox.groups()
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="qr-code" role="img"'
        ' viewBox="0 0 {w} {h}" shape-rendering="crispEdges" aria-label="{label}">'
        '<rect width="{w}" height="{h}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    ).format(w=width, h=height, label=escape(label), path=path)
