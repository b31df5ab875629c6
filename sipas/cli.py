"""`flask sipas …` commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from sipas.cli_backup import backup_command, restore_command
from sipas.cli_export import export_command
from sipas.cli_import import import_command
from sipas.cli_paper import paper_command
from sipas.cli_posters import posters_command
from sipas.cli_report import report_command
from sipas.cli_retention import retention_command
from sipas.cli_users import user_cli
from sipas.extensions import db
from sipas.questionnaire import QuestionnaireError, load_file
from sipas.services import demo, questionnaires, synthetic
from sipas.services.responses import phone
from sipas.services.waves.lookup import wave_by_code
from sipas.stats_command import stats_command

sipas_cli = AppGroup("sipas", help="SIPAS administration commands.")
questionnaire_cli = AppGroup(
    "questionnaire", help="Check and store questionnaire files."
)
sipas_cli.add_command(questionnaire_cli)
sipas_cli.add_command(stats_command)
sipas_cli.add_command(user_cli)
sipas_cli.add_command(report_command)
sipas_cli.add_command(export_command)
sipas_cli.add_command(import_command)
sipas_cli.add_command(paper_command)
sipas_cli.add_command(posters_command)
sipas_cli.add_command(retention_command)
sipas_cli.add_command(backup_command)
sipas_cli.add_command(restore_command)


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


@sipas_cli.command("demo")
@click.option(
    "--responses",
    "n_responses",
    default=0,
    type=click.IntRange(0),
    help="Also add this many synthetic responses to the demo wave.",
)
@click.option(
    "--seed",
    default=1,
    type=int,
    show_default=True,
    help="Random seed; the same seed makes the same responses.",
)
def demo_command(n_responses: int, seed: int) -> None:
    """Create the demo province, units, open wave `demo` and admin account."""
    try:
        report = demo.ensure_demo(current_app.config.get("ADMIN_PASSWORD"))
    except demo.DemoNeedsQuestionnaire as error:
        db.session.rollback()
        click.echo(
            _(
                "Questionnaire %(code)s is not stored: run "
                "`flask sipas questionnaire sync`.",
                code=str(error),
            ),
            err=True,
        )
        sys.exit(1)
    db.session.commit()
    names = {"units": report.units_created, "wave": demo.DEMO_WAVE_CODE}
    if report.wave_created:
        click.echo(
            _("Demo data: %(units)d units created, wave “%(wave)s” created.", **names)
        )
    else:
        click.echo(
            _(
                "Demo data: %(units)d units created, wave “%(wave)s” already there.",
                **names,
            )
        )
    if report.admin_password:
        click.echo(
            _(
                "Admin account created: user “%(user)s”, password “%(password)s” "
                "(shown only this once).",
                user=demo.ADMIN_USERNAME,
                password=report.admin_password,
            )
        )
    if n_responses:
        _add_synthetic_responses(n_responses, seed)


def _add_synthetic_responses(count: int, seed: int) -> None:
    """Fill the demo wave in committed batches, with a progress bar."""
    wave = wave_by_code(demo.DEMO_WAVE_CODE)
    added = 0
    with click.progressbar(length=count, label=_("Synthetic responses")) as bar:

        def step(size: int) -> None:
            db.session.commit()
            bar.update(size)

        added = synthetic.add_demo_responses(wave, count, seed, progress=step)
    db.session.commit()
    click.echo(
        _(
            "%(added)d responses added (%(present)d were already there).",
            added=added,
            present=count - added,
        )
    )


@sipas_cli.command("purge-drafts")
def purge_drafts_command() -> None:
    """Forget unfinished phone questionnaires older than DRAFT_RETENTION_DAYS."""
    removed = phone.purge_stale_drafts(current_app.config["DRAFT_RETENTION_DAYS"])
    db.session.commit()
    click.echo(_("%(removed)d unfinished questionnaires removed.", removed=removed))
