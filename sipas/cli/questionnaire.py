"""`flask sipas questionnaire check|sync [FILES…]`: validate questionnaire files and
store each as a frozen, hashed version."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.questionnaire import QuestionnaireError, load_file
from sipas.services import questionnaires

questionnaire_cli = AppGroup(
    "questionnaire", help="Check and store questionnaire files."
)


def _files_or_default(files: tuple[str, ...]) -> list[Path]:
    if files:
        return [Path(name) for name in files]
    return questionnaires.questionnaire_files(current_app.config["QUESTIONNAIRE_DIR"])


@questionnaire_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def check_command(files: tuple[str, ...]) -> None:
    """Validate questionnaire files; exit 1 if any has a problem."""
    failed = False
    for path in _files_or_default(files):
        try:
            loaded = load_file(path)
        except QuestionnaireError as error:
            failed = True
            for problem in error.problems:
                click.echo(str(problem), err=True)
            continue
        q = loaded.questionnaire
        click.echo(
            _(
                "%(path)s: OK — %(code)s v%(version)s, %(items)d items, "
                "%(criteria)d criteria",
                path=path,
                code=q.code,
                version=q.version,
                items=len(q.items),
                criteria=len(q.criteria),
            )
        )
    if failed:
        sys.exit(1)


@questionnaire_cli.command("sync")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def sync_command(files: tuple[str, ...]) -> None:
    """Store each file as a frozen, hashed version (nothing if any file is invalid)."""
    try:
        synced = questionnaires.sync(_files_or_default(files))
    except QuestionnaireError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(_("No questionnaire was stored."), err=True)
        sys.exit(1)
    db.session.commit()
    for item in synced:
        names = {"source": item.source, "code": item.code, "revision": item.revision}
        if item.is_new:
            click.echo(
                _("%(source)s: %(code)s stored as revision %(revision)s", **names)
            )
        else:
            click.echo(
                _("%(source)s: %(code)s unchanged, revision %(revision)s", **names)
            )
