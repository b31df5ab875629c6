"""Log in and out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from sipas.auth import bp
from sipas.auth.forms import LoginForm
from sipas.extensions import db
from sipas.public.views import _safe_next
from sipas.services import accounts


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Check the password; record success and failure in the audit log."""
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        db.session.commit()
        if user is not None:
            login_user(user)
            return redirect(
                _safe_next(request.args.get("next"))
                if request.args.get("next")
                else url_for("admin.index")
            )
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    """End the session."""
    logout_user()
    return redirect(url_for("public.index"))
