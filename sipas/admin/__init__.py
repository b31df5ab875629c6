"""Back office for administrators and analysts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from sipas.admin import views  # noqa: E402, F401  (registers the routes)

from sipas.admin import report  # noqa: E402, F401  # isort: skip  (PDF report)
