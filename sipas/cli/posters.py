"""`flask sipas posters (--unit CODE | --wave CODE) -o FILE.pdf`: print QR posters."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from sipas.cli.common import (
    StderrProgress,
    fail,
    language_option,
    pdf_output_option,
    unit_or_fail,
    wave_or_fail,
    write_output,
)
from sipas.extensions import db
from sipas.i18n import format_number
from sipas.language import N_
from sipas.services.paper.posters import NoUnits, posters_pdf


@click.command("posters")
@click.option(
    "--unit", "unit_code", help=N_("Code of the unit to print the poster of.")
)
@click.option(
    "--wave",
    "wave_code",
    help=N_("Code of a survey round: one poster for each of its units."),
)
@pdf_output_option
@click.option(
    "--base-url",
    default=None,
    help=N_("Address citizens reach the site at (default: PUBLIC_BASE_URL)."),
)
@language_option(
    N_("Language of the posters (vi or en); the default locale if not given.")
)
def posters_command(
    unit_code: str | None,
    wave_code: str | None,
    output: str,
    base_url: str | None,
    language: str | None,
) -> None:
    """Write the QR poster of a unit, or of every unit of a survey round, as a PDF."""
    if (unit_code is None) == (wave_code is None):
        fail(_("Give either --unit or --wave."))
    base_url = base_url or current_app.config.get("PUBLIC_BASE_URL")
    if not base_url:
        fail(_("Give --base-url or set PUBLIC_BASE_URL: the address in the QR code."))
    if not base_url.startswith(("http://", "https://")):
        fail(_("The base URL must start with http:// or https://."))
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    if language not in current_app.config["LANGUAGES"]:
        fail(_("Unknown language “%(language)s”.", language=language))
    unit = wave = None
    if unit_code is not None:
        unit = unit_or_fail(unit_code)
    elif wave_code is not None:
        wave = wave_or_fail(wave_code)
    progress = StderrProgress(
        lambda total: _("Laying out %(n)s posters", n=format_number(total))
    )
    try:
        with progress:
            batch = posters_pdf(
                base_url=base_url,
                language=language,
                user=None,
                unit=unit,
                wave=wave,
                progress=progress,
            )
    except NoUnits:
        fail(_("This survey round has no units yet."))
    path = Path(output)
    write_output(path, [batch.data])
    db.session.commit()
    click.echo(
        ngettext(
            "%(num)s poster written to %(path)s",
            "%(num)s posters written to %(path)s",
            batch.pages,
            path=path,
        )
    )
