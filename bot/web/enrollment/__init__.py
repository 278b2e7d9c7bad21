"""The contractor's enrollment page: ``GET /enroll`` and the POSTs behind its buttons.

``routes`` (thin handlers), ``forms`` (reading bodies), ``problems`` (domain errors to HTTP),
``rendering`` (templates, CSP nonces, JSON), ``qr`` (the TOTP QR code as inline SVG).
"""

from bot.web.enrollment.routes import pages

__all__ = ["pages"]
