"""Error pages: explain in the visitor's language, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from sipas.extensions import db

log = logging.getLogger(__name__)

#: Heading and explanation per status code.
ERROR_TEXTS = {
    400: (
        _l("The request could not be understood"),
        _l("Please go back and try again."),
    ),
    403: (_l("Access denied"), _l("Your account may not open this page.")),
    404: (
        _l("Page not found"),
        _l("The address may be mistyped, or the survey is not open at the moment."),
    ),
    405: (
        _l("The request could not be understood"),
        _l("Please go back and try again."),
    ),
    413: (_l("Too much data"), _l("What you sent is larger than this site accepts.")),
    429: (
        _l("Too many requests"),
        _l("Please wait a moment, then try again."),
    ),
    500: (_l("Something went wrong"), _l("Please try again in a moment.")),
    503: (
        _l("The service is temporarily unavailable"),
        _l(
            "Please try again in a few minutes. "
            "Nothing you sent has been stored half-way."
        ),
    ),
}


def render_error(status: int, message: str | None = None) -> tuple[str, int]:
    """Render the error page for ``status`` with an optional specific message."""
    heading, explanation = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    return (
        render_template(
            "error.html",
            status=status,
            heading=heading,
            explanation=message or explanation,
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    """HTTP errors, CSRF failures and an unreachable database get friendly pages."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        return render_error(status, _specific_message(error))

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        if request.blueprint == "survey":
            from sipas.survey.views import render_after_csrf_failure

            return render_after_csrf_failure()
        return render_error(
            400, _l("This form has expired. Please go back and try again.")
        )

    @app.errorhandler(OperationalError)
    def _database_down(error: OperationalError):  # type: ignore[no-untyped-def]
        log.error("database unavailable: %s", error)
        db.session.rollback()
        return render_error(503)


def _specific_message(error: HTTPException) -> str | None:
    """A message a view attached with abort(404, description=...), if translated."""
    description = getattr(error, "sipas_message", None)
    return str(description) if description else None
