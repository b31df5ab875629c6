"""Accounts pages: list, create, change role and scope, disable, reset password."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from sipas.admin.blueprint import bp
from sipas.admin.forms_users import PasswordResetForm, RoleScopeForm, UserCreateForm
from sipas.auth.decorators import role_required
from sipas.auth.views import start_session
from sipas.extensions import db
from sipas.models import Role, Unit, User
from sipas.services import accounts
from sipas.services.units.lookup import all_units, unit_by_code


def _with_units(form: RoleScopeForm) -> RoleScopeForm:
    form.unit.choices = [SelectChoice("", _("— none (administrators) —"))] + [
        SelectChoice(unit.code, f"{unit.code} — {unit.name}") for unit in all_units()
    ]
    return form


def _chosen(form: RoleScopeForm) -> tuple[Role, Unit | None]:
    return Role(form.role.data), unit_by_code(form.unit.data)


def _status(form: RoleScopeForm) -> int:
    """400 when a sent form was refused, so a client sees it (200 otherwise)."""
    return 400 if form.errors else 200


@bp.get("/users")
@role_required(Role.admin)
def users() -> ResponseReturnValue:
    """Every account with its role, scope, state and last login."""
    return render_template("admin/users/list.html", users=accounts.all_users())


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.admin)
def user_create() -> ResponseReturnValue:
    """A new account with an initial password that follows the policy."""
    form = _with_units(UserCreateForm())
    if form.validate_on_submit():
        role, unit = _chosen(form)
        try:
            user = accounts.create_user(
                form.username.data,
                form.new_password.data,
                role,
                unit,
                actor=current_user,
                check_policy=True,
            )
        except accounts.AccountError as error:
            form.username.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Account “%(name)s” created.", name=user.username), "success")
            return redirect(url_for(".users"))
    return render_template("admin/users/create.html", form=form), _status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def user_edit(user_id: int) -> ResponseReturnValue:
    """Change the role and unit scope; links to disable and reset the password."""
    user = db.get_or_404(User, user_id)
    form = _with_units(
        RoleScopeForm(
            data={"role": user.role.value, "unit": user.unit.code if user.unit else ""}
        )
    )
    if form.validate_on_submit():
        role, unit = _chosen(form)
        try:
            accounts.update_role(user, role, unit, actor=current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Account “%(name)s” updated.", name=user.username), "success")
            return redirect(url_for(".users"))
    return render_template("admin/users/edit.html", form=form, user=user), _status(form)


def _set_enabled(user_id: int, enabled: bool) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    try:
        accounts.set_enabled(user, enabled, actor=current_user)
    except accounts.AccountError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for(".user_edit", user_id=user.id))
    db.session.commit()
    if enabled:
        flash(_("Account “%(name)s” enabled.", name=user.username), "success")
    else:
        flash(_("Account “%(name)s” disabled.", name=user.username), "success")
    return redirect(url_for(".users"))


@bp.post("/users/<int:user_id>/disable")
@role_required(Role.admin)
def user_disable(user_id: int) -> ResponseReturnValue:
    """Disable an account: it can no longer log in and its sessions end."""
    return _set_enabled(user_id, False)


@bp.post("/users/<int:user_id>/enable")
@role_required(Role.admin)
def user_enable(user_id: int) -> ResponseReturnValue:
    """Allow a disabled account to log in again."""
    return _set_enabled(user_id, True)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@role_required(Role.admin)
def user_password(user_id: int) -> ResponseReturnValue:
    """Set a new password for an account (its sessions end)."""
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm(user.username)
    if form.validate_on_submit():
        accounts.reset_password(user, form.new_password.data, actor=current_user)
        db.session.commit()
        if user.id == current_user.id:
            start_session(user)  # keep this session; the stamp has changed
        flash(_("New password set for “%(name)s”.", name=user.username), "success")
        return redirect(url_for(".users"))
    return render_template("admin/users/password.html", form=form, user=user)
