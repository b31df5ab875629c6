"""The `entry` blueprint, on which the modules of this package register their
routes."""

from flask import Blueprint

bp = Blueprint("entry", __name__, url_prefix="/entry")
