"""`flask sipas export WAVE --format csv|xlsx|json|parquet -o FILE [--unit CODE]
[--design-syntax r|stata]`."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import gettext as _

from sipas.cli.common import (
    StderrProgress,
    fail,
    unit_or_fail,
    wave_or_fail,
    write_output,
)
from sipas.extensions import db
from sipas.i18n import format_number
from sipas.language import N_
from sipas.services.audit import record_event
from sipas.services.results import dashboard
from sipas.services.results.design_syntax import READABLE, design_syntax
from sipas.services.waves.design import WeightingError
from sipas.stats.calibrate import CalibrationError

FORMATS = ("csv", "xlsx", "json", "parquet")
#: The design's lines are written next to the export with this suffix.
SCRIPT_SUFFIX = {"r": ".R", "stata": ".do"}


@click.command("export")
@click.argument("wave_code")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help=N_(
        "csv: the stats CSV (UTF-8 with BOM); xlsx: responses and result tables; "
        "json: the results; parquet: the responses, typed, with the design and labels."
    ),
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help=N_("File to write."),
)
@click.option("--unit", "unit_code", help=N_("Only this unit and the units below it."))
@click.option(
    "--design-syntax",
    "syntax",
    type=click.Choice(sorted(READABLE)),
    help=N_(
        "Also print the lines that read the file and declare its survey design in "
        "R (svydesign) or Stata (svyset), and write them next to it (.R or .do)."
    ),
)
def export_command(
    wave_code: str, fmt: str, output: Path, unit_code: str | None, syntax: str | None
) -> None:
    """Write a wave's results (or a unit subtree's) to a file."""
    if syntax and fmt not in READABLE[syntax]:
        fail(
            _(
                "The design can be declared for %(formats)s files only.",
                formats=", ".join(READABLE[syntax]).upper(),
            )
        )
    if str(output) == "-":
        fail(_("Give a file to write the export to (-o FILE)."))
    script = output.with_suffix(SCRIPT_SUFFIX[syntax]) if syntax else None
    if script == output:
        fail(
            _(
                "The design's lines would overwrite the export: give the file a "
                "name that does not end in %(suffix)s.",
                suffix=output.suffix,
            )
        )
    wave = wave_or_fail(wave_code)
    root = None
    if unit_code:
        root = unit_or_fail(unit_code)
    progress = StderrProgress(
        lambda total: _("Writing %(n)s responses", n=format_number(total))
    )
    try:
        body = dashboard.export_file(wave, root, fmt, progress)
    except WeightingError as error:
        fail(
            _(
                "The responses cannot be weighted: these units have no population "
                "in the survey round: %(units)s",
                units=", ".join(error.unit_codes),
            )
        )
    except CalibrationError as error:
        fail(_("The weights cannot be calibrated: %(reason)s", reason=str(error)))
    with progress:
        size = write_output(output, [body] if isinstance(body, bytes) else body)
    record_event(
        f"export.{fmt}",
        user=None,
        object_type="wave",
        object_id=str(wave.id),
        details={"wave": wave.code, "unit": unit_code, "format": fmt, "cli": True},
    )
    db.session.commit()
    click.echo(
        _(
            "%(path)s written (%(size)s bytes): %(format)s of survey round %(wave)s.",
            path=output,
            size=format_number(size),
            format=fmt.upper(),
            wave=wave.code,
        ),
        err=True,
    )
    if syntax and script is not None:
        _write_syntax(syntax, fmt, output, script)


def _write_syntax(language: str, fmt: str, output: Path, script: Path) -> None:
    """Print the design's lines (the data of the command's standard output) and
    write them to ``script``, next to ``output``."""
    lines = design_syntax(language, fmt, output.name)
    write_output(script, [(lines + "\n").encode()])
    click.echo(lines)
    click.echo(_("%(path)s written.", path=script), err=True)
