"""Forms of the accounts pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from sipas.auth.forms import ROLE_LABELS, new_password_fields
from sipas.models import Role
from sipas.services.accounts import SCOPED_ROLES, password_problem

ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class RoleScopeForm(FlaskForm):
    """Role and unit scope; the unit choices are set by the view."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    unit = SelectField(
        _l("Unit scope"),
        choices=[],
        description=_l("Required for analysts and surveyors; admins see every unit."),
    )

    def validate_unit(self, field: Field) -> None:
        if self.role.data not in Role.__members__:  # the role field says why
            return
        if Role(self.role.data) in SCOPED_ROLES and not field.data:
            raise ValidationError(_l("Analysts and surveyors need a unit."))


class UserCreateForm(RoleScopeForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Please enter a username.")), Length(max=80)],
        render_kw={"autocomplete": "off"},
    )
    new_password, new_password_again = new_password_fields()

    def validate_new_password(self, field: Field) -> None:
        problem = password_problem(field.data, self.username.data or "")
        if problem is not None:
            raise ValidationError(problem)


class PasswordResetForm(FlaskForm):
    new_password, new_password_again = new_password_fields()

    def __init__(self, username: str, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.username = username

    def validate_new_password(self, field: Field) -> None:
        problem = password_problem(field.data, self.username)
        if problem is not None:
            raise ValidationError(problem)
