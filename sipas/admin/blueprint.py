"""The `admin` blueprint, on which the modules of this package register their
routes."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
