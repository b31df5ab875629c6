"""`flask sipas questionnaire check|sync [FILES…]`: validate questionnaire files and
store each as a frozen, hashed version; `import FILE.xlsx|FILE.yaml`: one file brought
from elsewhere, checked and stored as the upload page does."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.language import N_
from sipas.questionnaire import QuestionnaireError, load_file
from sipas.services import questionnaires
from sipas.services.questionnaires import upload

questionnaire_cli = AppGroup(
    "questionnaire", help=N_("Check and store questionnaire files.")
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


@questionnaire_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_command(file: str) -> None:
    """Check a workbook (.xlsx) or YAML file and store it as a new version."""
    path = Path(file)
    try:
        loaded = upload.read_upload(path.name, path.read_bytes())
    except upload.UploadRefused as refused:
        for problem in refused.problems:
            click.echo(str(problem), err=True)
        click.echo(_("No questionnaire was stored."), err=True)
        sys.exit(1)
    publication = upload.publish(loaded, user=None)
    db.session.commit()
    version = publication.stored.version
    names = {"source": path.name, "code": version.code, "revision": version.revision}
    if not publication.stored.is_new:
        click.echo(_("%(source)s: %(code)s unchanged, revision %(revision)s", **names))
        return
    click.echo(_("%(source)s: %(code)s stored as revision %(revision)s", **names))
    if publication.waves_kept:
        rounds = ", ".join(wave.code for wave in publication.waves_kept)
        click.echo(
            _("These rounds stay on their earlier version: %(rounds)s.", rounds=rounds)
        )
