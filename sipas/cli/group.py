"""`flask sipas …`: the command group that gathers every command of this package."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

from sipas.cli.backup import backup_command, restore_command
from sipas.cli.database_errors import said_in_words
from sipas.cli.demo import demo_command
from sipas.cli.export import export_command
from sipas.cli.imports import import_command
from sipas.cli.jobs import jobs_cli
from sipas.cli.paper import paper_command
from sipas.cli.posters import posters_command
from sipas.cli.questionnaire import questionnaire_cli
from sipas.cli.report import report_command
from sipas.cli.retention import purge_drafts_command, retention_command
from sipas.cli.stats import stats_command
from sipas.cli.stopping import invoke_stoppable
from sipas.cli.units import units_cli
from sipas.cli.users import user_cli
from sipas.cli.words import speak_the_language
from sipas.collector import frozen_at_exit
from sipas.language import N_


class SipasGroup(AppGroup):
    """`flask sipas`: in the user's language, help and Click's own words too
    (sipas/cli/words.py); a command stopped with Ctrl+C, or at a question, says
    so (sipas/cli/stopping.py), and so does one a database error ends
    (sipas/cli/database_errors.py)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Read the command line, in the language of the application."""
        speak_the_language(self)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command asked for."""
        frozen_at_exit()
        return invoke_stoppable(
            ctx, lambda: said_in_words(lambda: super(SipasGroup, self).invoke(ctx))
        )


sipas_cli = SipasGroup("sipas", help=N_("SIPAS administration commands."))
for command in (
    questionnaire_cli,
    demo_command,
    stats_command,
    user_cli,
    units_cli,
    report_command,
    export_command,
    import_command,
    paper_command,
    posters_command,
    retention_command,
    purge_drafts_command,
    backup_command,
    restore_command,
    jobs_cli,
):
    sipas_cli.add_command(command)
