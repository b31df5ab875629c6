"""Forms of the response import page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import DataRequired, Regexp


class ResponseFileForm(FlaskForm):
    """The survey round and the file of responses."""

    wave = SelectField(
        _l("Survey round"), validators=[DataRequired(_l("Choose a survey round."))]
    )
    file = FileField(
        _l("CSV or XLSX file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Only CSV or XLSX files.")),
        ],
        render_kw={"accept": ".csv,.xlsx"},
    )


class DecisionForm(FlaskForm):
    """What to do with a checked file that has problems."""

    token = HiddenField(validators=[Regexp(r"^[0-9a-f]{32}$")])
    valid_only = SubmitField()
    nothing = SubmitField(_l("Import nothing"))


class JobDecisionForm(FlaskForm):
    """What to do with a file a job checked and found problems in."""

    valid_only = SubmitField()
    nothing = SubmitField(_l("Import nothing"))
