"""Back office for administrators and analysts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

import sipas.admin.audit  # noqa: E402, F401  (audit log page)
import sipas.admin.users  # noqa: E402, F401  (accounts pages)
from sipas.admin import views  # noqa: E402, F401  (registers the routes)

# isort: split
from sipas.admin import waves  # noqa: E402, F401  (survey rounds)

# isort: split
from sipas.admin import responses  # noqa: E402, F401  (responses)
