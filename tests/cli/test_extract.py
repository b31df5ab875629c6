"""The catalogs' extraction of command modules: a command's docstring is its help,
so it is extracted as a message, cleaned as Click cleans it."""

from __future__ import annotations

import io

from sipas.cli.extract import extract_commands

SOURCE = '''
import click
from sipas.language import N_

@click.command("export")
@click.option("--output", help=N_("File to write."))
def export_command(output):
    """Write a wave's results
    to a file."""
    click.echo(_("Done."))

@some_group.group("units", cls=object)
def units_cli():
    """Administrative units."""

@click.command
def bare():
    """A command without parentheses.

    Its second paragraph.
    \f
    For developers: not shown, not translated.
    """

def helper():
    """Not a command: its docstring is no message."""
'''


def messages(source: str) -> list[str]:
    found = extract_commands(
        io.BytesIO(source.encode()), {"_": None, "N_": None}, [], {}
    )
    return [message for _line, _function, message, _comments in found]


def test_commands_docstrings_join_the_messages_of_the_module():
    assert messages(SOURCE) == [
        "File to write.",
        "Done.",
        "Write a wave's results\nto a file.",
        "Administrative units.",
        "A command without parentheses.\n\nIts second paragraph.",
    ]
