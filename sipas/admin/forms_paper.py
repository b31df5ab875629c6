"""The form of the paper-forms page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from sipas.models import Unit
from sipas.services.paper.issuing import MAX_BATCH

LANGUAGE_LABELS = {"vi": "Tiếng Việt", "en": "English"}


class IssueForm(FlaskForm):
    """Which unit of the chosen wave, how many forms, in which language."""

    unit = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
    count = IntegerField(
        _l("Number of forms"),
        default=50,
        validators=[
            InputRequired(_l("Enter the number of forms.")),
            NumberRange(
                1,
                MAX_BATCH,
                _l("Enter a whole number from 1 to %(most)s.", most=MAX_BATCH),
            ),
        ],
    )
    language = SelectField(_l("Language of the forms"))

    def __init__(self, units: list[Unit], languages: tuple[str, ...], **kwargs):
        super().__init__(**kwargs)
        self.unit.choices = [(unit.id, f"{unit.code} — {unit.name}") for unit in units]
        self.language.choices = [
            (code, LANGUAGE_LABELS.get(code, code)) for code in languages
        ]
