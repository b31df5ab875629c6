"""Forms of the survey-round and response pages."""

from __future__ import annotations

import unicodedata

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
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
from sipas.questionnaire import Item, Questionnaire
from sipas.services.questionnaires import parsed
from sipas.services.responses.admin import ANY_SIGNAL
from sipas.services.results.compute import respondent_items
from sipas.services.waves.admin import WaveDesign
from sipas.services.waves.design import (
    DesignChoice,
    DesignSettings,
    choice_of,
    design_settings,
)
from sipas.services.waves.lookup import wave_by_code
from sipas.services.waves.margins import parse_margin_grid

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
#: Each design choice in words: what it is, how people were asked, what it allows.
DESIGN_CHOICES = {
    DesignChoice.by_unit: (
        _l("Ask people at each unit: everyone served, or people chosen at random"),
        _l(
            "Everyone who comes to the unit during the survey period is invited to "
            "answer, or people are chosen at random at each unit (for example one "
            "in five). The usual choice for a survey at the one-stop desks."
        ),
        (
            _l("Units can be compared with each other."),
            _l("Confidence intervals are computed for each unit."),
            _l(
                "Results add up to the whole province by each unit's number of "
                "people served (enter it on the round's page)."
            ),
        ),
    ),
    DesignChoice.two_stage: (
        _l("Choose communes first, then people there"),
        _l(
            "Only some communes (wards) are surveyed, chosen at random; at each "
            "chosen commune, people who come are invited to answer."
        ),
        (
            _l(
                "Results speak for the whole province, counting the uncertainty of "
                "surveying only some communes."
            ),
            _l("Confidence intervals are wider."),
            _l("Not meant for comparing communes with each other."),
        ),
    ),
    DesignChoice.convenience: (
        _l("No sampling design (voluntary feedback)"),
        _l(
            "Whoever wishes answers, for example through a QR code in the hall; "
            "nobody is invited by list or by turn."
        ),
        (
            _l("Describes the opinions of the people who answered."),
            _l("Cannot be generalised to the whole province."),
            _l("Confidence intervals and comparisons are only indicative."),
        ),
    ),
    DesignChoice.custom: (
        _l("Another design (set the technical settings below)"),
        _l(
            "For statisticians: strata, primary sampling units and weighting are set "
            "under “Technical settings”."
        ),
        (_l("What the results allow depends on the settings."),),
    ),
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


def margin_questions(questionnaire: Questionnaire | None) -> list[Item]:
    """The questions about the respondent that margins may be given for."""
    if questionnaire is None:
        return []
    return [questionnaire.item(code) for code in respondent_items(questionnaire)]


class WaveDesignForm(FlaskForm):
    """Dates and sampling design: what may be edited after creation."""

    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    design_choice = RadioField(
        _l("How were the people who answer chosen?"),
        choices=choices_of(
            {choice: words[0] for choice, words in DESIGN_CHOICES.items()}
        ),
        default=DesignChoice.by_unit.value,
    )
    strata_level = SelectField(_l("Strata: units of level"), validators=[Optional()])
    psu_level = SelectField(_l("Primary sampling units: units of level"))
    weighting = SelectField(
        _l("Weighting"),
        choices=choices_of(WEIGHTING_LABELS),
        default=Weighting.unit_population.value,
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
        #: set by the view: the stored margins of several questions, kept as they are
        self.kept_margins: list[dict] = []
        #: set by validate(): the margins as stored on the wave
        self.margins_spec: dict | None = None
        #: set by validate(): {grid cell name: message}
        self.margin_errors: dict[str, str] = {}

    def margins_questionnaire(self) -> Questionnaire | None:
        """The questionnaire the margins are checked against."""
        version = getattr(self, "wave_questionnaire", None)
        return parsed(version) if version is not None else None

    def taking_part(self) -> UnitLevel | None:
        """The level of the units taking part (set by the edit view)."""
        return getattr(self, "wave_unit_level", None)

    def chosen_settings(self) -> DesignSettings:
        """Strata, PSUs and weighting: those of the design choice, or as set."""
        level = self.taking_part()
        choice = self.design_choice.data
        if level is not None and choice != DesignChoice.custom:
            return design_settings(DesignChoice(choice), level)
        return DesignSettings(
            UnitLevel(self.strata_level.data) if self.strata_level.data else None,
            UnitLevel(self.psu_level.data) if self.psu_level.data else None,
            Weighting(self.weighting.data),
        )

    def show_settings(self, settings: DesignSettings) -> None:
        """Show ``settings`` in the choice and the technical fields."""
        self.design_choice.data = choice_of(settings, self.taking_part()).value
        self.strata_level.data = (
            settings.strata_level.value if settings.strata_level else ""
        )
        self.psu_level.data = settings.psu_level.value if settings.psu_level else ""
        self.weighting.data = settings.weighting.value

    def validate(self, extra_validators=None) -> bool:
        if not self.design_choice.raw_data:
            # a post without the choice (a script, an old page) sets the fields
            self.design_choice.data = DesignChoice.custom.value
        is_valid = super().validate(extra_validators)
        if is_valid:
            # the page shows what will be stored, whatever the hidden fields said
            self.show_settings(self.chosen_settings())
        grid = parse_margin_grid(
            request.form,
            margin_questions(self.margins_questionnaire()),
            self.kept_margins,
        )
        self.margins_spec, self.margin_errors = grid.spec, grid.errors
        return is_valid and not grid.errors

    def validate_ends_on(self, field) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot come before the first day."))

    def design(self) -> WaveDesign:
        """The validated design."""
        settings = self.chosen_settings()
        return WaveDesign(
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            strata_level=settings.strata_level,
            psu_level=settings.psu_level,
            weighting=settings.weighting,
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
        if self.questionnaire.data is None and versions:
            # the newest version, whose respondent questions the margins grid shows
            self.questionnaire.data = versions[0].id
        self.unit_level.choices = _level_choices()

    def questionnaire_version(self) -> QuestionnaireVersion | None:
        """The chosen questionnaire version."""
        return db.session.get(QuestionnaireVersion, self.questionnaire.data or 0)

    def margins_questionnaire(self) -> Questionnaire | None:
        version = self.questionnaire_version()
        return parsed(version) if version is not None else None

    def taking_part(self) -> UnitLevel | None:
        return UnitLevel(self.unit_level.data) if self.unit_level.data else None

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
