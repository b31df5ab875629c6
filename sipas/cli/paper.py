"""`flask sipas paper WAVE UNIT --count N -o FILE.pdf`: issue and print paper forms."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask_babel import gettext as _

from sipas.cli.options import language_option, pdf_output_option
from sipas.extensions import db
from sipas.questionnaire.serials import format_serial
from sipas.services.paper.issuing import PaperFormsRefused, forms_pdf, issue_forms
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code


def _fail(message: str) -> NoReturn:
    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


@click.command("paper")
@click.argument("wave_code")
@click.argument("unit_code")
@click.option("--count", type=int, required=True, help="Number of forms to issue.")
@pdf_output_option
@language_option("forms")
def paper_command(
    wave_code: str, unit_code: str, count: int, output: str, language: str | None
) -> None:
    """Issue COUNT numbered paper forms of a unit in a wave and write their PDF."""
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    if language not in current_app.config["LANGUAGES"]:
        _fail(_("Unknown language “%(language)s”.", language=language))
    wave = wave_by_code(wave_code)
    if wave is None:
        _fail(_("No survey round has the code “%(code)s”.", code=wave_code))
    unit = unit_by_code(unit_code)
    if unit is None:
        _fail(_("No unit has the code “%(code)s”.", code=unit_code))
    try:
        forms = issue_forms(wave, unit, count, user=None)
    except PaperFormsRefused as error:
        _fail(error.message)
    path = Path(output)
    try:
        path.write_bytes(forms_pdf(forms, language))
    except OSError as error:
        _fail(str(error))
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
