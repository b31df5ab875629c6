"""What the commands share: the PDF options, failing with a message, and a survey
round or unit named on the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

import click
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import Unit, Wave
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code

#: ``-o/--output FILE``: the PDF file a command writes.
pdf_output_option = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="PDF file to write.",
)


def language_option(what: str) -> Callable:
    """``--language vi|en`` for a PDF of ``what`` (default: the default locale)."""
    return click.option(
        "--language",
        default=None,
        help=f"Language of the {what} (vi or en); the default locale if not given.",
    )


def fail(message: str) -> NoReturn:
    """Undo what the session holds, say why on standard error, and exit with 1."""
    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


def wave_or_fail(code: str) -> Wave:
    """The survey round with ``code``, or the end of the command with a message."""
    wave = wave_by_code(code)
    if wave is None:
        fail(_("No survey round has the code “%(code)s”.", code=code))
    return wave


def unit_or_fail(code: str) -> Unit:
    """The unit with ``code``, or the end of the command with a message."""
    unit = unit_by_code(code)
    if unit is None:
        fail(_("No unit has the code “%(code)s”.", code=code))
    return unit
