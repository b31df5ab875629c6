"""Staff login and role checks."""

from __future__ import annotations

import hmac

from flask import Flask
from flask_babel import lazy_gettext as _l

from sipas.auth import views  # noqa: F401  (registers its routes)
from sipas.auth.blueprint import bp
from sipas.extensions import db, login_manager

__all__ = ["bp", "configure_login"]


def configure_login(app: Flask) -> None:
    """Flask-Login: load users by id and session stamp, send anonymous visitors to
    the login page."""
    from sipas.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(session_id: str) -> User | None:
        """The enabled user whose stamp matches: a password change or disabling
        renews the stamp and so ends every older session."""
        user_id, _sep, stamp = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.is_enabled:
            return None
        if not hmac.compare_digest(user.session_stamp.encode(), stamp.encode()):
            return None
        return user
