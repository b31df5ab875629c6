"""Forms of the survey-round and response pages."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from sipas.extensions import db
from sipas.labels import SIGNAL_LABELS
from sipas.models import (
    QuestionnaireVersion,
    ResponseStatus,
    UnitLevel,
    Weighting,
)
from sipas.questionnaire import Questionnaire
from sipas.services.questionnaires import parsed
from sipas.services.responses.admin import ANY_SIGNAL
from sipas.services.waves.admin import WaveDesign
from sipas.services.waves.lookup import wave_by_code
from sipas.services.waves.margins import MarginError, parse_margins

LEVEL_LABELS = {
    UnitLevel.province: _l("Province"),
    UnitLevel.district: _l("District"),
    UnitLevel.commune: _l("Commune"),
    UnitLevel.centre: _l("Service centre"),
}
WEIGHTING_LABELS = {
    Weighting.unit_population: _l("By unit populations"),
    Weighting.none: _l("None (every response weighs 1)"),
}
METHOD_LABELS = {
    "": _l("No calibration"),
    "poststratify": _l("Post-stratification (one margin)"),
    "rake": _l("Raking (one or more margins)"),
}
STATUS_LABELS = {
    ResponseStatus.complete: _l("Complete"),
    ResponseStatus.flagged: _l("Flagged"),
    ResponseStatus.void: _l("Void"),
}


def _nfc(value: str | None) -> str | None:
    return unicodedata.normalize("NFC", value).strip() if value else value


def choices_of(labels: dict, blank: object = None) -> list[SelectChoice]:
    """Options of a select from {value: label}, with a first blank option if given."""
    options = [SelectChoice(str(value), label) for value, label in labels.items()]
    return [SelectChoice("", blank), *options] if blank else options


def _level_choices(blank: object = None) -> list[SelectChoice]:
    return choices_of(LEVEL_LABELS, blank)


class WaveDesignForm(FlaskForm):
    """Dates and sampling design: what may be edited after creation."""

    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    strata_level = SelectField(_l("Strata: units of level"), validators=[Optional()])
    psu_level = SelectField(_l("Primary sampling units: units of level"))
    weighting = SelectField(
        _l("Weighting"),
        choices=choices_of(WEIGHTING_LABELS),
        default=Weighting.unit_population.value,
    )
    calibration_method = SelectField(
        _l("Calibration"), choices=choices_of(METHOD_LABELS), validators=[Optional()]
    )
    calibration_margins = TextAreaField(
        _l("Calibration margins"),
        filters=[_nfc],
        validators=[Length(max=20000)],
        render_kw={"rows": 5, "spellcheck": "false"},
    )
    text_retention_days = IntegerField(
        _l("Keep original comments for (days after the close)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=36500, message=_l("Enter 0 or more days.")),
        ],
        render_kw={"inputmode": "numeric"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.strata_level.choices = _level_choices(_l("One stratum"))
        self.psu_level.choices = _level_choices(_l("Each response is its own PSU"))
        #: set by validate(): the margins as stored on the wave
        self.margins_spec: dict | None = None

    def margins_questionnaire(self) -> Questionnaire | None:
        """The questionnaire the margins are checked against."""
        version = getattr(self, "wave_questionnaire", None)
        return parsed(version) if version is not None else None

    def validate(self, extra_validators=None) -> bool:
        is_valid = super().validate(extra_validators)
        questionnaire = self.margins_questionnaire()
        if questionnaire is not None:
            try:
                self.margins_spec = parse_margins(
                    self.calibration_margins.data or "",
                    self.calibration_method.data,
                    questionnaire,
                )
            except MarginError as error:
                self.calibration_margins.errors = [
                    *self.calibration_margins.errors,
                    *error.messages,
                ]
                is_valid = False
        return is_valid

    def validate_ends_on(self, field) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot come before the first day."))

    def design(self) -> WaveDesign:
        """The validated design."""
        return WaveDesign(
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            strata_level=UnitLevel(self.strata_level.data)
            if self.strata_level.data
            else None,
            psu_level=UnitLevel(self.psu_level.data) if self.psu_level.data else None,
            weighting=Weighting(self.weighting.data),
            calibration_margins=self.margins_spec,
            text_retention_days=self.text_retention_days.data,
        )


class WaveForm(WaveDesignForm):
    """A new survey round: identity, questionnaire version, design and units."""

    code = StringField(
        _l("Code"),
        filters=[_nfc],
        validators=[
            DataRequired(_l("Please enter a code.")),
            Length(max=40),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                message=_l("Use letters, digits, '-', '_' or '.' only."),
            ),
        ],
    )
    title = StringField(
        _l("Title"),
        filters=[_nfc],
        validators=[DataRequired(_l("Please enter a title.")), Length(max=200)],
    )
    questionnaire = SelectField(_l("Questionnaire version"), coerce=int)
    root_unit = SelectField(_l("Units below"), coerce=int)
    unit_level = SelectField(
        _l("Units of level taking part"), default=UnitLevel.centre.value
    )

    def __init__(self, versions, units, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire.choices = [
            SelectChoice(
                v.id, f"{v.code} · v{v.version} · r{v.revision} ({v.sha256[:8]})"
            )
            for v in versions
        ]
        self.root_unit.choices = [
            SelectChoice(u.id, f"{u.code} · {u.name}") for u in units
        ]
        self.unit_level.choices = _level_choices()

    def questionnaire_version(self) -> QuestionnaireVersion | None:
        """The chosen questionnaire version."""
        return db.session.get(QuestionnaireVersion, self.questionnaire.data or 0)

    def margins_questionnaire(self) -> Questionnaire | None:
        version = self.questionnaire_version()
        return parsed(version) if version is not None else None

    def validate_code(self, field) -> None:
        if wave_by_code(field.data) is not None:
            raise ValidationError(_l("A survey round with this code exists."))


class StatusForm(FlaskForm):
    """Move a wave to another status; reopening needs a reason."""

    status = SelectField(_l("New status"), validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason"),
        filters=[_nfc],
        validators=[Length(max=2000)],
        render_kw={"rows": 2},
    )


class TargetsForm(FlaskForm):
    """The grid of populations and target samples (cells parsed by the service)."""


class ImportForm(FlaskForm):
    """A CSV or XLSX file of unit_code,population,target_sample."""

    table = FileField(
        _l("File (CSV or XLSX)"),
        validators=[
            FileRequired(_l("Please choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Only CSV or XLSX files.")),
        ],
    )


class ReasonForm(FlaskForm):
    """Why a response's status changes (required)."""

    reason = StringField(
        _l("Reason"),
        filters=[_nfc],
        validators=[DataRequired(_l("Please give a reason.")), Length(max=2000)],
    )


class ResponseFilterForm(FlaskForm):
    """Filters of the response list (read from the query string, no CSRF)."""

    class Meta:
        csrf = False

    wave = SelectField(_l("Survey round"), validators=[Optional()])
    unit = SelectField(_l("Unit (with the units below it)"), validators=[Optional()])
    channel = SelectField(_l("Channel"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    signal = SelectField(_l("Quality signal"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def __init__(self, waves, units, channel_labels, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        every = _l("All")
        self.wave.choices = choices_of({w.code: w.title for w in waves}, every)
        self.unit.choices = choices_of(
            {u.code: f"{u.code} · {u.name}" for u in units}, every
        )
        self.channel.choices = choices_of(channel_labels, every)
        self.status.choices = choices_of(STATUS_LABELS, every)
        self.signal.choices = choices_of(
            {ANY_SIGNAL: _l("Any quality signal"), **SIGNAL_LABELS}, every
        )


class BulkAcceptForm(ReasonForm):
    """Accept many flagged responses with one reason; ``expected`` is the count the
    confirmation showed, so a set that changed since is not accepted unseen."""

    expected = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
