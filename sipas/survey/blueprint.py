"""The `survey` blueprint, on which the modules of this package register their
routes."""

from flask import Blueprint

bp = Blueprint("survey", __name__)
