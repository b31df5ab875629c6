"""Back office for administrators and analysts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

import sipas.admin.dashboard  # noqa: E402, F401  (results and downloads)
from sipas.admin import views  # noqa: E402, F401  (registers the routes)
