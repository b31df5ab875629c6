"""`flask sipas …` commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from sipas.extensions import db
from sipas.models import Wave
from sipas.questionnaire import QuestionnaireError, load_file
from sipas.services import demo, phone, questionnaires, synthetic
from sipas.stats_command import stats_command

sipas_cli = AppGroup("sipas", help="SIPAS administration commands.")
questionnaire_cli = AppGroup(
    "questionnaire", help="Check and store questionnaire files."
)
sipas_cli.add_command(questionnaire_cli)
sipas_cli.add_command(stats_command)


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
            f"{path}: OK — {q.code} v{q.version}, {len(q.items)} items, "
            f"{len(q.criteria)} criteria"
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
        click.echo("No questionnaire was stored.", err=True)
        sys.exit(1)
    db.session.commit()
    for item in synced:
        state = "stored as" if item.is_new else "unchanged,"
        click.echo(f"{item.source}: {item.code} {state} revision {item.revision}")


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
            f"Questionnaire {error} is not stored: "
            "run `flask sipas questionnaire sync`.",
            err=True,
        )
        sys.exit(1)
    db.session.commit()
    click.echo(
        f"Demo data: {report.units_created} units created, "
        f"wave '{demo.DEMO_WAVE_CODE}' "
        f"{'created' if report.wave_created else 'present'}."
    )
    if report.admin_password:
        click.echo(
            f"Admin account created: user '{demo.ADMIN_USERNAME}', "
            f"password '{report.admin_password}' (shown only this once)."
        )
    if n_responses:
        _add_synthetic_responses(n_responses, seed)


def _add_synthetic_responses(count: int, seed: int) -> None:
    """Fill the demo wave in committed batches, with a progress bar."""
    wave = db.session.scalar(sa.select(Wave).filter_by(code=demo.DEMO_WAVE_CODE))
    added = 0
    with click.progressbar(length=count, label="Synthetic responses") as bar:

        def step(size: int) -> None:
            db.session.commit()
            bar.update(size)

        added = synthetic.add_demo_responses(wave, count, seed, progress=step)
    db.session.commit()
    click.echo(f"{added} responses added ({count - added} were already there).")


@sipas_cli.command("purge-drafts")
def purge_drafts_command() -> None:
    """Forget unfinished phone questionnaires older than DRAFT_RETENTION_DAYS."""
    removed = phone.purge_stale_drafts(current_app.config["DRAFT_RETENTION_DAYS"])
    db.session.commit()
    click.echo(f"{removed} unfinished questionnaires removed.")
