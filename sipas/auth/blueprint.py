"""The `auth` blueprint, on which the modules of this package register their
routes."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")
