"""Staff login and role checks."""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from sipas.extensions import db, login_manager

bp = Blueprint("auth", __name__, url_prefix="/auth")


def configure_login(app: Flask) -> None:
    """Flask-Login: load users by id, send anonymous visitors to the login page."""
    from sipas.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None


from sipas.auth import views  # noqa: E402, F401  (registers the routes)
