"""`flask sipas import WAVE FILE [--valid-only]`: responses from a CSV or XLSX file."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import gettext as _
from flask_babel import ngettext

from sipas.cli.common import StderrProgress, fail, wave_or_fail
from sipas.cli.reasons import why
from sipas.database import writes_next
from sipas.extensions import db
from sipas.i18n import format_number
from sipas.language import N_
from sipas.services.responses import imports


@click.command("import")
@click.argument("wave_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--valid-only",
    is_flag=True,
    help=N_("Store the rows without problems even when other rows have some."),
)
def import_command(wave_code: str, path: Path, valid_only: bool) -> None:
    """Check a file of responses (stats CSV or labelled XLSX) and store its rows;
    nothing is stored while any row is wrong, unless --valid-only."""
    wave = wave_or_fail(wave_code)
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = why(error, reading=True)
        fail(_("%(path)s could not be read: %(reason)s", path=path, reason=reason))
    with StderrProgress(
        lambda total: _("Checking %(n)s rows", n=format_number(total))
    ) as progress:
        checked = imports.check_file(wave, path.name, data, None, progress)
    # the check only read: the store is a transaction of its own that writes from
    # its start (on SQLite one that had read could not write after a kiosk's
    # response, and would fail at once)
    writes_next()
    report = imports.store_checked_file(
        wave, path.name, data, None, checked, valid_only=valid_only
    )
    if report.file_error:
        fail(str(report.file_error))
    _say_problems(report)
    # with --valid-only, a file whose valid rows were all stored before is done
    stored = report.ok or (valid_only and (report.valid or report.already))
    if not stored:
        fail(_refusal(report))
    db.session.commit()
    click.echo(str(imports.summary(report)))


#: Problems printed one by one; the rest are counted (the web page shows 500).
SHOWN_PROBLEMS = 50


def _say_problems(report: imports.ImportReport) -> None:
    """The file's first problems by row and column on standard error, then how
    many more there are."""
    for error in report.errors[:SHOWN_PROBLEMS]:
        click.echo(
            _(
                "row %(row)s, column %(column)s: %(reason)s",
                row=error.row,
                column=error.column,
                reason=str(error.message),
            ),
            err=True,
        )
    more = len(report.errors) - SHOWN_PROBLEMS
    if more > 0:
        click.echo(
            ngettext(
                "… and %(count)s more problem.",
                "… and %(count)s more problems.",
                more,
                count=format_number(more),
            ),
            err=True,
        )


def _refusal(report: imports.ImportReport) -> str:
    """Why nothing was stored, and what --valid-only would store."""
    names = {
        "bad": format_number(report.bad_rows),
        "rows": format_number(report.rows),
        "valid": format_number(report.valid),
        "already": format_number(report.already),
    }
    if report.valid:
        return _(
            "Nothing was imported: %(bad)s of %(rows)s rows have problems "
            "(--valid-only stores the %(valid)s others).",
            **names,
        )
    if report.already:
        return _(
            "Nothing was imported: %(bad)s of %(rows)s rows have problems, and the "
            "%(already)s others were imported before.",
            **names,
        )
    return _("Nothing was imported: all %(rows)s rows have problems.", **names)
