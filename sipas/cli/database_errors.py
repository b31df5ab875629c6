"""A database error that ends a `flask sipas …` command is said in the user's
language, without SQLAlchemy's traceback: the command's transaction is rolled
back, so none of its unfinished work is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import sqlalchemy as sa
from flask_babel import gettext as _

from sipas.extensions import db

#: Words of SQLite's and PostgreSQL's own (English) messages, and what they mean.
KNOWN_CAUSES: dict[str, Callable[[], str]] = {
    "database or disk is full": lambda: _("the disk is full"),
    "no space left on device": lambda: _("the disk is full"),
    "database is locked": lambda: _(
        "another program kept the database busy for longer than the wait allows"
    ),
    "disk i/o error": lambda: _("the disk could not be read or written"),
    "readonly database": lambda: _("the database may not be written to"),
    "unable to open database file": lambda: _("the database file cannot be opened"),
    "connection refused": lambda: _("the database server cannot be reached"),
    "could not connect": lambda: _("the database server cannot be reached"),
    "server closed the connection": lambda: _(
        "the database server closed the connection"
    ),
}


def said_in_words(invoke: Callable[[], Any]) -> Any:
    """``invoke()`` a command; a database error that ends it is said in words on
    standard error, and the command ends with status 1."""
    try:
        return invoke()
    except sa.exc.OperationalError as error:
        db.session.rollback()
        message = _(
            "Stopped: the database reports that %(cause)s. Nothing was stored "
            "half-way.",
            cause=cause(error),
        )
        click.echo(message, err=True)
        raise SystemExit(1) from None


def cause(error: sa.exc.OperationalError) -> str:
    """What went wrong, in the user's language when it is a known cause, else
    in the database's own words."""
    said = str(error.orig) if error.orig is not None else str(error)
    lowered = said.lower()
    for words, meaning in KNOWN_CAUSES.items():
        if words in lowered:
            return meaning()
    return said.strip().splitlines()[0] if said.strip() else said
