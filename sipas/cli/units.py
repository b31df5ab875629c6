"""`flask sipas units load-official --province CODE [--with-history]`: a province's
official units (the list of 1/7/2025, and the one before it on request)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from sipas.cli.common import fail
from sipas.extensions import db
from sipas.language import N_
from sipas.services.units import official
from sipas.services.units.official_data import UnknownProvince, data_version

units_cli = AppGroup("units", help=N_("Administrative units."))


@units_cli.command("load-official")
@click.option(
    "--province",
    "province_code",
    required=True,
    help=N_("Official code of the province since 1/7/2025 (e.g. 22 for Quảng Ninh)."),
)
@click.option(
    "--with-history",
    is_flag=True,
    help=N_(
        "Also the districts and communes before 1/7/2025, closed, followed by "
        "the new communes."
    ),
)
def load_official_command(province_code: str, with_history: bool) -> None:
    """Create or update a province and its communes from the official list."""
    try:
        report = official.load_official(province_code, with_history=with_history)
    except UnknownProvince:
        fail(_("No province has the official code %(code)s.", code=province_code))
    except official.CodeTaken as error:
        fail(
            _(
                "Nothing was loaded: these codes belong to other units: %(codes)s.",
                codes=", ".join(error.codes),
            )
        )
    db.session.commit()
    click.echo(
        _(
            "%(province)s (%(source)s): %(created)s created, %(updated)s updated, "
            "%(unchanged)s unchanged.",
            province=report.province_name,
            source=data_version(),
            created=report.total("created"),
            updated=report.total("updated"),
            unchanged=report.total("unchanged"),
        )
    )
    if report.closed:
        click.echo(
            _(
                "Of these, %(closed)s units of before 1/7/2025 are closed on "
                "30/06/2025 and followed by the new communes.",
                closed=report.closed,
            )
        )
    if not report.changes:
        click.echo(_("Nothing to change: the units match the official list."))
