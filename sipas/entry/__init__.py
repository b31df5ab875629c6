"""Surveyors: paper questionnaires typed in from the keyboard, and file imports."""

from flask import Blueprint

bp = Blueprint("entry", __name__, url_prefix="/entry")

from sipas.entry import import_views  # noqa: E402, F401  (registers the routes)
