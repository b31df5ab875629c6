"""Citizen-facing questionnaire pages."""

from flask import Blueprint

bp = Blueprint("survey", __name__)

from sipas.survey import (
    kiosk,  # noqa: E402, F401  (the kiosk routes)
    views,  # noqa: E402, F401  (registers the routes)
)
