"""Commands stopped with Ctrl+C say so in the user's language and end with status
130 (128 + SIGINT, as a shell reports a command it interrupted), not with Click's
English "Aborted!" and status 1; a question answered no (or Ctrl+C at it) ends
with status 1, before the command has changed anything."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from sipas.language import gettext as _

#: The exit status of a command stopped with Ctrl+C.
INTERRUPTED = 130


def stopped_while_loading() -> NoReturn:
    """Ctrl+C before a command runs (while Python or the application loads): said
    as a running command says it, with status 130, not Python's traceback or
    Click's "Aborted!"."""
    sys.stderr.write("\n" + _("Stopped (Ctrl+C).") + "\n")
    raise SystemExit(INTERRUPTED)


def invoke_stoppable(ctx: click.Context, invoke: Callable[[], Any]) -> Any:
    """``invoke()`` a command: stopped with Ctrl+C, it says so and ends with status
    130; a question answered no ends it with status 1."""
    try:
        return invoke()
    except KeyboardInterrupt:
        # a command stores its work in one transaction, or writes its file under a
        # temporary name: stopped before its commit or rename, none of that work
        # is stored; stopped at that very moment, it may be (docs/deployment.md)
        click.echo("\n" + _("Stopped (Ctrl+C)."), err=True)
        ctx.exit(INTERRUPTED)
    except click.Abort:
        # Click's questions ask before a command changes anything
        click.echo(_("Stopped: nothing was changed."), err=True)
        ctx.exit(1)


class StoppableCommand(click.Command):
    """A command (run alone, as `sipas-stats`) stopped as :func:`invoke_stoppable`
    says."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command."""
        return invoke_stoppable(ctx, lambda: super(StoppableCommand, self).invoke(ctx))
