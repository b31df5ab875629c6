"""Surveyors: paper questionnaires typed in from the keyboard, and file imports."""

from flask import Blueprint

bp = Blueprint("entry", __name__, url_prefix="/entry")
