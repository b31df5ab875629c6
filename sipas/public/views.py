"""Pages anyone may open."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from sipas.extensions import db
from sipas.i18n import is_language, remember_language
from sipas.public.blueprint import bp
from sipas.services.waves.lookup import open_targets


@bp.get("/")
def index() -> ResponseReturnValue:
    """What this site is, and a link per unit that is collecting answers."""
    return render_template("public/index.html", targets=open_targets())


@bp.get("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Remember the chosen language and go back to the page the visitor was on."""
    response = redirect(_safe_next(request.args.get("next")))
    if is_language(code):
        remember_language(response, code)
    return response


def _safe_next(target: str | None) -> str:
    """Only local paths, so the switch cannot send anyone to another site."""
    if not target:
        return url_for(".index")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return url_for(".index")
    return target.rstrip("?")


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the database answers, 503 otherwise (for load balancers)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "database": False}, 503
    return {"status": "ok", "database": True}, 200
