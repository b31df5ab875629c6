"""Back office for administrators and analysts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

import sipas.admin.units  # noqa: E402, F401  (the unit pages)
from sipas.admin import views  # noqa: E402, F401  (registers the routes)
