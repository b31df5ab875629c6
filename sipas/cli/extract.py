"""Babel's extraction of the command modules (``babel.cfg``): what the Python
extractor finds, and the docstring of every Click command, which is its help and
is shown translated (sipas/cli/words.py)."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.extract import extract_python

from sipas.cli.words import shown_help

#: Names of the decorators that make a function a command.
COMMAND_DECORATORS = ("command", "group")


def extract_commands(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Any,
) -> Iterator[tuple[Any, ...]]:
    """The messages of a Python module, then the part of its commands' docstrings
    Click shows (before any ``\f``, cleaned by ``inspect.cleandoc``), as Babel's
    extraction methods give them: (line, function name, message, comments)."""
    yield from extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and any(
            _makes_command(decorator) for decorator in node.decorator_list
        ):
            shown = shown_help(ast.get_docstring(node, clean=False) or "")
            if shown:
                yield node.lineno, None, shown, []


def _makes_command(decorator: ast.expr) -> bool:
    """True for ``@click.command(…)``, ``@some_group.group`` and the like."""
    called = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = called.attr if isinstance(called, ast.Attribute) else None
    if isinstance(called, ast.Name):
        name = called.id
    return name in COMMAND_DECORATORS
