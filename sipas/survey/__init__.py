"""Citizen-facing questionnaire pages."""

from flask import Blueprint

bp = Blueprint("survey", __name__)

from sipas.survey import views  # noqa: E402, F401  (registers the routes)

# isort: split
from sipas.survey import kiosk  # noqa: E402, F401
