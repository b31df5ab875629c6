"""Log in and out, the account page and the change of one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from sipas.auth.blueprint import bp
from sipas.auth.forms import ROLE_LABELS, ChangePasswordForm, LoginForm
from sipas.extensions import db
from sipas.i18n import format_moment
from sipas.models import Role, User
from sipas.security import client_address, rate_limited
from sipas.services import accounts, audit, clock

#: Session key holding the time (POSIX seconds) of the user's last request.
SEEN_KEY = "seen_at"


@bp.app_context_processor
def _role_names() -> dict:
    return {
        "role_label": lambda role: str(ROLE_LABELS[role]),
        "password_min_length": accounts.PASSWORD_MIN_LENGTH,
    }


@bp.before_app_request
def _end_idle_session() -> None:
    """Log out a session idle for longer than SESSION_LIFETIME_MINUTES."""
    if "_user_id" not in session:
        return
    moment = clock.now().timestamp()
    seen = session.get(SEEN_KEY)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if seen is not None and moment - float(seen) > lifetime:
        if current_user.is_authenticated:
            audit.record_event("session_expired", user=current_user)
            db.session.commit()
        logout_user()
        session.pop(SEEN_KEY, None)
        flash(_("Your session has expired. Please log in again."), "warning")
        return
    session[SEEN_KEY] = moment


def start_session(user: User) -> None:
    """Log ``user`` in on a fresh session: nothing of the anonymous one (its CSRF
    token included) carries over."""
    session.clear()
    login_user(user)
    session.permanent = True
    session[SEEN_KEY] = clock.now().timestamp()


def _local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, so ``next`` cannot leave it."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return None if target.startswith("//") or "\\" in target else target


def landing_url(user: User) -> str:
    """Where a user goes after logging in: the area their role works in."""
    if user.role is not Role.surveyor:
        return url_for("admin.index")
    if "entry.index" in current_app.view_functions:
        return url_for("entry.index")
    return url_for("auth.account")


@bp.route("/login", methods=["GET", "POST"])
@rate_limited("login", "RATE_LIMIT_LOGIN_PER_MINUTE", client_address)
def login() -> ResponseReturnValue:
    """Check the password, unless throttled; every outcome is audited."""
    form = LoginForm()
    if form.validate_on_submit():
        outcome = accounts.authenticate(
            form.username.data, form.password.data, request.remote_addr
        )
        db.session.commit()
        if outcome.user is not None:
            start_session(outcome.user)
            target = _local_path(request.args.get("next"))
            return redirect(target or landing_url(outcome.user))
        if outcome.retry_at is not None:
            flash(
                _(
                    "Too many failed logins. Please try again after %(time)s.",
                    time=format_moment(outcome.retry_at),
                ),
                "error",
            )
        else:
            flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session, on the server too: a copy of its cookie no longer works
    (and the user's sessions elsewhere end with it). Audited."""
    if current_user.is_authenticated:
        audit.record_event("logout", user=current_user)
        accounts.end_sessions(current_user)
        db.session.commit()
    logout_user()
    session.pop(SEEN_KEY, None)
    return redirect(url_for("public.index"))


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    """Who is logged in: role, unit scope and a link to change the password."""
    return render_template("auth/account.html", user=current_user)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Change one's own password; every other session of the account ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        accounts.change_password(
            user, form.current_password.data, form.new_password.data
        )
        db.session.commit()
        start_session(user)  # this session continues with the new stamp
        flash(_("Your password has been changed."), "success")
        return redirect(landing_url(user))
    return render_template("auth/password.html", form=form)
