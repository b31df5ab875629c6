"""Citizen-facing questionnaire pages: the phone steps and the kiosk."""

from sipas.survey import views  # noqa: F401, I001  (the step routes come first)
from sipas.survey import kiosk  # noqa: F401
from sipas.survey.blueprint import bp

__all__ = ["bp"]
