"""Error pages: explain in the visitor's language, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from sipas.extensions import db, login_manager

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
        _l("The address may be mistyped, or what it showed is no longer there."),
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


#: For a kiosk's staff (devices have no language of their own, see sipas/api/sync.py).
DATABASE_DOWN_FOR_DEVICES = (
    "Máy chủ tạm thời không lưu được phiếu; thiết bị sẽ giữ phiếu và gửi lại sau."
)
#: The database server is down or restarting (OperationalError; SQLite: locked for
#: longer than its busy timeout), a pooled connection died under a request
#: (InterfaceError), or every connection is busy (pool timeout).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
#: Seconds after which a client may try again (Retry-After of the 503 answers).
RETRY_AFTER_SECONDS = 30


def render_error(status: int, message: str | None = None) -> tuple[str, int]:
    """Render the error page for ``status`` with an optional specific message.

    The page shows who is logged in, which takes a query: with the database gone
    it becomes the 503 page for an anonymous visitor (an error raised while an
    error is handled would be a bare 500).
    """
    try:
        return _render_error_page(status, message)
    except DATABASE_UNAVAILABLE as error:
        log.error("database unavailable while showing an error page: %s", error)
        _without_database()
        return _render_error_page(503, None)


def _render_error_page(status: int, message: str | None) -> tuple[str, int]:
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


def _without_database() -> None:
    """Roll back what can be, and render the rest of the request as an anonymous
    visitor, so that nothing more asks the database (Flask-Login loads the user on
    first use; a failed load would be tried again)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone already
        log.warning("rollback failed; the connection is dropped", exc_info=True)
    g._login_user = login_manager.anonymous_user()


def database_down(error: Exception) -> Response:
    """The 503 answer while the database is unreachable: JSON with Retry-After for
    kiosks (they keep their responses and try again), the friendly page else."""
    log.error("database unavailable: %s", error)
    _without_database()
    if request.blueprint == "api":
        answer = jsonify(error=DATABASE_DOWN_FOR_DEVICES, retry=True)
        answer.status_code = 503
    else:
        body, status = render_error(503)
        answer = current_app.make_response((body, status))
    answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer


def register_error_handlers(app: Flask) -> None:
    """HTTP errors, CSRF failures and an unreachable database get friendly pages
    (the survey blueprint answers its own CSRF failures: sipas/survey/views.py)."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        return render_error(status, _specific_message(error))

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> ResponseReturnValue:
        return render_error(
            400, _l("This form has expired. Please go back and try again.")
        )

    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_down)


def _specific_message(error: HTTPException) -> str | None:
    """The message of an error class a view raised (its ``sipas_message``), if any."""
    description = getattr(error, "sipas_message", None)
    return str(description) if description else None
