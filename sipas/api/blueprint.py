"""The `api` blueprint, on which the modules of this package register their
routes."""

from flask import Blueprint

from sipas.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)
