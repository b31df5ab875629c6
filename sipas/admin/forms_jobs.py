"""Form asking for a large download or report as a background job."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired

#: What a job can make: the four downloads and the PDF report.
JOB_FILES = ("csv", "xlsx", "json", "parquet", "pdf")


class JobForm(FlaskForm):
    """Which file of the round (and of the unit in the URL) to make."""

    what = HiddenField(validators=[InputRequired(), AnyOf(JOB_FILES)])
