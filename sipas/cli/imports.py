"""`flask sipas import WAVE FILE [--valid-only]`: responses from a CSV or XLSX file."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask_babel import gettext as _

from sipas.cli.common import wave_or_fail
from sipas.extensions import db
from sipas.services.responses import imports


@click.command("import")
@click.argument("wave_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--valid-only",
    is_flag=True,
    help="Store the rows without problems even when other rows have some.",
)
def import_command(wave_code: str, path: Path, valid_only: bool) -> None:
    """Check a file of responses (stats CSV or labelled XLSX) and store its rows;
    nothing is stored while any row is wrong, unless --valid-only."""
    wave = wave_or_fail(wave_code)
    report = imports.import_file(
        wave, path.name, path.read_bytes(), None, valid_only=valid_only
    )
    if report.file_error:
        db.session.rollback()
        click.echo(str(report.file_error), err=True)
        sys.exit(1)
    for error in report.errors:
        click.echo(
            _(
                "row %(row)s, column %(column)s: %(reason)s",
                row=error.row,
                column=error.column,
                reason=str(error.message),
            ),
            err=True,
        )
    stored = report.ok or (valid_only and report.valid)
    if not stored:
        db.session.rollback()
        click.echo(
            _(
                "Nothing was imported: %(bad)s of %(rows)s rows have problems "
                "(--valid-only stores the %(valid)s others).",
                bad=report.bad_rows,
                rows=report.rows,
                valid=report.valid,
            ),
            err=True,
        )
        sys.exit(1)
    db.session.commit()
    click.echo(str(imports.summary(report)))
