"""The form of the QR posters page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from sipas.admin.forms_paper import LANGUAGE_LABELS
from sipas.models import Unit, Wave

UNIT, WAVE = "unit", "wave"


class PosterForm(FlaskForm):
    """One unit's poster, or every unit of a survey round; in which language."""

    scope = RadioField(
        _l("Posters for"),
        choices=[
            SelectChoice(UNIT, _l("One unit")),
            SelectChoice(WAVE, _l("Every unit of a survey round")),
        ],
        default=UNIT,
    )
    # only the field the scope names is checked (in validate)
    unit = SelectField(_l("Unit"), validate_choice=False)
    wave = SelectField(_l("Survey round"), validate_choice=False)
    language = SelectField(_l("Language of the posters"))

    def __init__(
        self,
        units: list[Unit],
        waves: list[Wave],
        languages: tuple[str, ...],
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.unit.choices = [SelectChoice("", _l("— choose a unit —"))] + [
            SelectChoice(unit.code, f"{unit.code} — {unit.name}") for unit in units
        ]
        self.wave.choices = [SelectChoice("", _l("— choose a survey round —"))] + [
            SelectChoice(wave.code, f"{wave.title} — {wave.code}") for wave in waves
        ]
        self.language.choices = [
            SelectChoice(code, LANGUAGE_LABELS.get(code, code)) for code in languages
        ]

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        field, message = (
            (self.unit, _l("Choose the unit."))
            if self.scope.data == UNIT
            else (self.wave, _l("Choose the survey round."))
        )
        offered = {choice.value for choice in field.choices if choice.value}
        if field.data not in offered:
            field.errors = [*field.errors, message]
            return False
        return True
