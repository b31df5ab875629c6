"""What the commands share: the PDF options, failing with a message, and a survey
round or unit named on the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from flask_babel import gettext as _

from sipas.cli.reasons import why
from sipas.extensions import db
from sipas.language import N_
from sipas.models import Unit, Wave
from sipas.services.jobs.files import write_atomically
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

#: ``-o/--output FILE``: the PDF file a command writes.
pdf_output_option = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help=N_("PDF file to write."),
)


def language_option(help_text: str) -> Callable:
    """``--language vi|en`` for a PDF (default: the default locale); ``help_text``
    says of what, marked with ``N_`` (each its own message: no text is put
    together before it is translated)."""
    return click.option("--language", default=None, help=help_text)


def write_output(path: Path, chunks: Iterable[bytes]) -> int:
    """Write a command's file whole or not at all (a temporary file beside it,
    renamed when complete: an interrupted command leaves the earlier file as it
    was); the bytes written. A path that cannot be written ends the command with
    a message."""
    try:
        return write_atomically(path, chunks)
    except OSError as error:
        fail(
            _("%(path)s could not be written: %(reason)s", path=path, reason=why(error))
        )


class StderrProgress:
    """A progress bar on standard error (what a command prints as data stays
    alone on standard output), drawn once the total is first known: nothing is
    drawn for work that counts nothing. ``label`` words the total."""

    def __init__(self, label: Callable[[int], str]) -> None:
        self.label = label
        self.bar: ProgressBar[int] | None = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        """Hear that ``done`` of ``total`` are done."""
        if self.bar is None:
            self.bar = click.progressbar(
                length=max(total, 1), label=self.label(total), file=sys.stderr
            )
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        """End the bar's line, if one was drawn."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def __enter__(self) -> StderrProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


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
