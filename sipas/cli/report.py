"""`flask sipas report WAVE [--unit CODE] -o FILE.pdf`: the PDF report from a shell."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask_babel import force_locale
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
from sipas.services.audit import record_event
from sipas.services.results.report import NoResponses, build_report


def _progress(stage: str) -> None:
    click.echo(stage, err=True)


@click.command("report")
@click.argument("wave_code")
@click.option(
    "--unit", "unit_code", default=None, help=N_("Code of the subtree's root.")
)
@pdf_output_option
@language_option(
    N_("Language of the report (vi or en); the default locale if not given.")
)
def report_command(
    wave_code: str, unit_code: str | None, output: str, language: str | None
) -> None:
    """Write the PDF report of a wave (or of one unit's subtree)."""
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    if language not in current_app.config["LANGUAGES"]:
        fail(_("Unknown language “%(language)s”.", language=language))
    wave = wave_or_fail(wave_code)
    root = None
    if unit_code:
        root = unit_or_fail(unit_code)
    try:
        report = build_report(wave, root, language, progress=_progress)
    except NoResponses:
        fail(_("This survey round has no response in this scope yet."))
    path = Path(output)
    write_output(path, [report.data])
    record_event(
        "report.pdf",
        user=None,
        object_type="wave",
        object_id=wave.code,
        details={"unit": unit_code or "all", "file": str(path), "via": "cli"},
    )
    db.session.commit()
    with force_locale(language):
        click.echo(
            _("Written %(path)s (%(pages)s pages)", path=path, pages=report.pages),
            err=True,
        )
