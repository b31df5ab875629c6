"""The form of the kiosk devices page."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    ValidationError,
)

from sipas.models import Unit


def _nfc(value: str | None) -> str | None:
    return unicodedata.normalize("NFC", value).strip() if value else value


class DeviceForm(FlaskForm):
    """Register a kiosk: which unit, and a name staff recognise."""

    unit = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
    name = StringField(
        _l("Name of the kiosk"),
        filters=[_nfc],
        validators=[
            DataRequired(_l("Enter a name for the kiosk.")),
            Length(max=120),
        ],
    )

    def __init__(self, units: tuple[list[Unit], list[Unit]], **kwargs):
        super().__init__(**kwargs)
        collecting, idle = units
        #: ids of the units that may be chosen
        self.collecting_ids = {unit.id for unit in collecting}
        #: how many units are listed but cannot be chosen
        self.idle_count = len(idle)
        idle_group = str(_l("No survey round open (cannot be chosen)"))
        self.unit.choices = [
            SelectChoice(unit.id, f"{unit.code} — {unit.name}") for unit in collecting
        ] + [
            SelectChoice(
                unit.id,
                f"{unit.code} — {unit.name}",
                optgroup=idle_group,
                render_kw={"disabled": True},
            )
            for unit in idle
        ]

    def validate_unit(self, field) -> None:
        if field.data not in self.collecting_ids:
            raise ValidationError(
                _l(
                    "This unit has no survey round open: a kiosk there takes no "
                    "answers."
                )
            )


class RevokeForm(FlaskForm):
    """The confirmation page's form: revoking takes this deliberate second step."""

    confirm = HiddenField(default="yes", validators=[InputRequired(), AnyOf(["yes"])])
