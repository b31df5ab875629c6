"""Surveyors: paper questionnaires typed in from the keyboard, and file imports."""

from flask import Blueprint

bp = Blueprint("entry", __name__, url_prefix="/entry")

# the modules register their routes on bp
from sipas.entry import import_views, review, views  # noqa: E402, F401
