"""Login and change-password forms."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from sipas.models import Role
from sipas.services.accounts import password_problem

#: Names of the roles in the visitor's language.
ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.analyst: _l("Analyst"),
    Role.surveyor: _l("Surveyor"),
}


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Please enter your username.")), Length(max=80)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password and its repetition, as two form fields."""
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Please enter the new password.")),
            Length(max=200),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Please enter the new password again.")),
            EqualTo("new_password", _l("The two new passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return new, repeat


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password, new_password_again = new_password_fields()

    def validate_current_password(self, field: Field) -> None:
        if not current_user.check_password(field.data):
            raise ValidationError(_l("The current password is wrong."))

    def validate_new_password(self, field: Field) -> None:
        problem = password_problem(field.data, current_user.username, current_user)
        if problem is not None:
            raise ValidationError(problem)
