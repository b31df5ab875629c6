"""Landing page, language switch and health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from sipas.public import views  # noqa: E402, F401  (registers the routes)
