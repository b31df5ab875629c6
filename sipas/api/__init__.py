"""JSON endpoints for kiosk devices, authenticated by their bearer token (no
session, no CSRF token: a device is not a browser form)."""

from sipas.api import sync  # noqa: F401  (registers its routes)
from sipas.api.blueprint import bp

__all__ = ["bp"]
