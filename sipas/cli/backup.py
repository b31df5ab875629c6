"""`flask sipas backup -o FILE [--force]` and `flask sipas restore FILE [--yes]`."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click
from flask_babel import gettext as _

from sipas.cli.common import StderrProgress, fail
from sipas.cli.reasons import why
from sipas.extensions import db
from sipas.i18n import format_number
from sipas.language import N_
from sipas.services import backup
from sipas.services.audit import record_event
from sipas.services.backup import common


def _fail(error: common.BackupError) -> NoReturn:
    fail(str(error.message))


def page_progress() -> StderrProgress:
    """A bar over the SQLite pages copied."""
    return StderrProgress(
        lambda total: _(
            "Copying %(pages)s pages of the SQLite database",
            pages=format_number(total),
        )
    )


def _describe(info: common.BackupInfo) -> str:
    names = {
        "kind": common.KIND_NAMES[info.kind],
        "size": format_number(info.size),
        "revision": info.revision or "–",
    }
    if info.responses is None:  # a pg_dump archive does not say without restoring
        return _(
            "%(kind)s backup, %(size)s bytes, schema revision %(revision)s", **names
        )
    return _(
        "%(kind)s backup, %(size)s bytes, schema revision %(revision)s, "
        "%(responses)s responses",
        responses=format_number(info.responses),
        **names,
    )


@click.command("backup")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_(
        "Backup file to write (SQLite: a .sqlite file; PostgreSQL: a pg_dump "
        "custom-format archive, e.g. .dump)."
    ),
)
@click.option("--force", is_flag=True, help=N_("Replace the file if it exists."))
def backup_command(output: Path, force: bool) -> None:
    """Back up the whole database while the application keeps running."""
    progress = page_progress()
    try:
        info = backup.create_backup(output, force=force, progress=progress)
    except common.BackupError as error:
        _fail(error)
    except OSError as error:
        fail(
            _(
                "%(path)s could not be written: %(reason)s",
                path=output,
                reason=why(error),
            )
        )
    finally:
        progress.close()
    _record("backup.create", output, info, size=info.size, responses=info.responses)
    click.echo(_("%(path)s written: %(info)s.", path=output, info=_describe(info)))


@click.command("restore")
@click.argument(
    "backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--yes", is_flag=True, help=N_("Do not ask for confirmation."))
def restore_command(backup_file: Path, yes: bool) -> None:
    """Replace ALL data of the database with a backup made by `flask sipas backup`."""
    try:
        info = backup.inspect_backup(backup_file)
        revision = backup.check_restore(info)
    except common.BackupError as error:
        _fail(error)
    click.echo(_describe(info))
    database = db.engine.url.render_as_string(hide_password=True)
    if not yes:
        click.confirm(
            _(
                "Every piece of data now in %(database)s will be replaced by this "
                "backup. Continue?",
                database=database,
            ),
            abort=True,
        )
    try:
        dropped = backup.restore_backup(info)
    except common.BackupError as error:
        _fail(error)
    _record("backup.restore", backup_file, info, dropped_tables=dropped)
    click.echo(
        _("%(database)s restored from %(path)s.", database=database, path=backup_file)
    )
    if dropped:
        click.echo(
            _(
                "Tables the backup does not have were dropped: %(tables)s.",
                tables=", ".join(dropped),
            )
        )
    if revision is common.Revision.older:
        click.echo(
            _(
                "The backup is from an older schema revision (%(revision)s): run "
                "`flask db upgrade` now, before the application is used again.",
                revision=info.revision,
            )
        )


def _record(action: str, path: Path, info, **details: object) -> None:
    """Audit a backup or restore of ``path`` (the command line has no user)."""
    record_event(
        action,
        user=None,
        details={
            "file": str(path.absolute()),
            "kind": info.kind.value,
            "revision": info.revision,
            **details,
        },
    )
    db.session.commit()
