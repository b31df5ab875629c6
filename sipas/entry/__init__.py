"""Surveyors: paper questionnaires typed in from the keyboard, and file imports."""

from sipas.entry import import_batches, import_views, review, views  # noqa: F401  (register routes)
from sipas.entry.blueprint import bp

__all__ = ["bp"]
