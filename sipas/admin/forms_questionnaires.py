"""Forms of the questionnaire pages: upload a file; publish or discard an upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class UploadForm(FlaskForm):
    file = FileField(
        _l("Workbook (.xlsx) or YAML file"),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".xlsx,.yaml,.yml"},
    )


class DecisionForm(FlaskForm):
    """Publish or discard a previewed upload (the buttons say which)."""
