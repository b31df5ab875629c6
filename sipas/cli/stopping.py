"""Commands stopped with Ctrl+C say so in the user's language and end with status
130 (128 + SIGINT, as a shell reports a command it interrupted), not with Click's
English "Aborted!" and status 1."""

from __future__ import annotations

from typing import Any, NoReturn

import click

from sipas.language import gettext as _

#: The exit status of a command stopped with Ctrl+C.
INTERRUPTED = 130


class StoppableCommand(click.Command):
    """A command that reads nothing it stores: stopped, it only says so."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; Ctrl+C ends it with a word and status 130."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\n" + _("Stopped (Ctrl+C)."), err=True)
            ctx.exit(INTERRUPTED)


def stopped_unstored(ctx: click.Context) -> NoReturn:
    """End a command stopped with Ctrl+C: its work is done in one transaction or
    written to a file renamed when complete, so what it had not finished is not
    stored."""
    message = _("Stopped (Ctrl+C): the unfinished work was not stored.")
    click.echo("\n" + message, err=True)
    ctx.exit(INTERRUPTED)
