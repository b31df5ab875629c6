"""Back office for administrators and analysts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# the modules register their routes on bp
from sipas.admin import (  # noqa: E402, F401
    audit,
    devices,
    paper,
    posters,
    responses,
    results,
    units,
    users,
    waves,
)
