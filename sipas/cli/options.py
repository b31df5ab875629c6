"""Options shared by the commands that write a PDF."""

from __future__ import annotations

from collections.abc import Callable

import click

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
