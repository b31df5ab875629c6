"""The forms of publishing a round's results and taking them down."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length


def _nfc(value: str | None) -> str | None:
    return unicodedata.normalize("NFC", value).strip() if value else value


class PublishForm(FlaskForm):
    """The confirmation page's form: publishing takes this deliberate second step."""

    confirm = HiddenField(default="yes", validators=[InputRequired(), AnyOf(["yes"])])


class UnpublishForm(FlaskForm):
    """Taking published results down needs a reason, kept in the audit log."""

    reason = TextAreaField(
        _l("Reason"),
        filters=[_nfc],
        validators=[
            DataRequired(_l("Please give the reason for unpublishing.")),
            Length(max=2000),
        ],
        render_kw={"rows": 3},
    )
