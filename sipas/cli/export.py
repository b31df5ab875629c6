"""`flask sipas export WAVE --format csv|xlsx|json -o FILE [--unit CODE]`."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import gettext as _

from sipas.cli.common import fail, unit_or_fail, wave_or_fail
from sipas.extensions import db
from sipas.files import open_private
from sipas.services.audit import record_event
from sipas.services.results import dashboard
from sipas.services.waves.design import WeightingError
from sipas.stats.calibrate import CalibrationError

FORMATS = ("csv", "xlsx", "json")


@click.command("export")
@click.argument("wave_code")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="csv: the stats CSV (UTF-8 with BOM); xlsx: responses and result tables; "
    "json: the results.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="File to write.",
)
@click.option("--unit", "unit_code", help="Only this unit and the units below it.")
def export_command(
    wave_code: str, fmt: str, output: Path, unit_code: str | None
) -> None:
    """Write a wave's results (or a unit subtree's) to a file."""
    wave = wave_or_fail(wave_code)
    root = None
    if unit_code:
        root = unit_or_fail(unit_code)
    try:
        body = dashboard.export_file(wave, root, fmt)
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
    with open_private(output) as handle:
        handle.writelines([body] if isinstance(body, bytes) else body)
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
            size=output.stat().st_size,
            format=fmt.upper(),
            wave=wave.code,
        )
    )
