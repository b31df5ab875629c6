"""Forms of the unit pages: create/edit, move, merge, import, official lists."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from sipas.models import UnitLevel
from sipas.services.units.admin import UnitData
from sipas.services.units.official_data import official_provinces
from sipas.services.units.rules import CODE_MAX, NAME_MAX, clean

#: Level names shown in pages, top of the hierarchy first.
LEVEL_LABELS = {
    UnitLevel.province: _l("Province"),
    UnitLevel.district: _l("District"),
    UnitLevel.commune: _l("Commune"),
    UnitLevel.centre: _l("Service centre"),
}

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DayField(DateField):
    """A date typed as YYYY-MM-DD (the browser's date input) or dd/mm/yyyy."""

    #: the date, None when left empty (Any, as for every WTForms field: no types)
    data: Any

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata([v.strip() for v in valuelist])
        except ValueError as error:
            raise ValueError(
                str(_l("Write the date as YYYY-MM-DD or dd/mm/yyyy."))
            ) from error


def _code_field(label: str, *, required: bool, hint: str | None = None) -> StringField:
    first = DataRequired(_l("Enter a code.")) if required else Optional()
    return StringField(
        label,
        validators=[first, Length(max=CODE_MAX)],
        filters=[clean],
        description=hint or "",
    )


class UnitForm(FlaskForm):
    code = _code_field(
        _l("Code"),
        required=True,
        hint=_l("Letters, digits, '-' and '_'; used in survey addresses."),
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter a name.")), Length(max=NAME_MAX)],
        filters=[clean],
    )
    level = SelectField(
        _l("Level"),
        choices=[
            SelectChoice(level.value, label) for level, label in LEVEL_LABELS.items()
        ],
        validators=[DataRequired()],
    )
    parent_code = _code_field(
        _l("Parent unit code"),
        required=False,
        hint=_l("Leave empty for a top-level unit."),
    )
    valid_from = DayField(
        _l("Valid from"), format=DATE_FORMATS, validators=[Optional()]
    )
    valid_to = DayField(_l("Valid until"), format=DATE_FORMATS, validators=[Optional()])
    successor_code = _code_field(
        _l("Successor unit code"),
        required=False,
        hint=_l("The unit that took over after a merger; needs the end date."),
    )

    def unit_data(self) -> UnitData:
        """The form's values for the unit services."""
        return UnitData(
            code=self.code.data,
            name=self.name.data,
            level=UnitLevel(self.level.data),
            parent_code=self.parent_code.data or None,
            valid_from=self.valid_from.data,
            valid_to=self.valid_to.data,
            successor_code=self.successor_code.data or None,
        )


class MoveForm(FlaskForm):
    parent_code = _code_field(
        _l("New parent unit code"),
        required=False,
        hint=_l("Leave empty to make it a top-level unit."),
    )


class MergeForm(FlaskForm):
    successor_code = _code_field(_l("Merged into (unit code)"), required=True)
    valid_to = DayField(
        _l("Last day of the unit"),
        format=DATE_FORMATS,
        validators=[InputRequired(_l("Enter the last day of the unit."))],
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV or XLSX file"),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".csv,.xlsx"},
    )


class OfficialLoadForm(FlaskForm):
    """A province of the official list, and whether its units before 1/7/2025 come
    too; sent once to preview, once more to confirm."""

    province = SelectField(
        _l("Province or city"),
        validators=[DataRequired(_l("Choose a province."))],
    )
    with_history = BooleanField(
        _l("With the units before 1/7/2025"),
        description=_l(
            "The districts and communes of before the merger, closed on 30/06/2025 "
            "and followed by the new communes, so earlier survey rounds carry on "
            "into the new tree."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.province.choices = [
            SelectChoice("", _l("Choose a province")),
            *(SelectChoice(code, name) for code, name in official_provinces()),
        ]
