"""`flask sipas paper WAVE UNIT --count N -o FILE.pdf`: issue and print paper forms."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask_babel import gettext as _

from sipas.cli.common import (
    fail,
    language_option,
    pdf_output_option,
    unit_or_fail,
    wave_or_fail,
    write_output,
)
from sipas.extensions import db
from sipas.language import N_
from sipas.questionnaire.serials import format_serial
from sipas.services.paper.issuing import PaperFormsRefused, forms_pdf, issue_forms


@click.command("paper")
@click.argument("wave_code")
@click.argument("unit_code")
@click.option("--count", type=int, required=True, help=N_("Number of forms to issue."))
@pdf_output_option
@language_option(
    N_("Language of the forms (vi or en); the default locale if not given.")
)
def paper_command(
    wave_code: str, unit_code: str, count: int, output: str, language: str | None
) -> None:
    """Issue COUNT numbered paper forms of a unit in a wave and write their PDF."""
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    if language not in current_app.config["LANGUAGES"]:
        fail(_("Unknown language “%(language)s”.", language=language))
    wave = wave_or_fail(wave_code)
    unit = unit_or_fail(unit_code)
    try:
        forms = issue_forms(wave, unit, count, user=None)
    except PaperFormsRefused as error:
        fail(error.message)
    path = Path(output)
    write_output(path, [forms_pdf(forms, language)])
    # the serials count as issued only once their forms are printable
    db.session.commit()
    click.echo(
        _(
            "Forms %(first)s to %(last)s (%(count)s) written to %(path)s",
            first=format_serial(forms[0].serial),
            last=format_serial(forms[-1].serial),
            count=count,
            path=path,
        )
    )
