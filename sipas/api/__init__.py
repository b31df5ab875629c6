"""JSON endpoints for kiosk devices, authenticated by their bearer token (no
session, no CSRF token: a device is not a browser form)."""

from flask import Blueprint

from sipas.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

from sipas.api import sync  # noqa: E402, F401
