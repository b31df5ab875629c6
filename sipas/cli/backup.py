"""`flask sipas backup -o FILE [--force]` and `flask sipas restore FILE [--yes]`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from flask_babel import gettext as _

from sipas.cli.common import fail
from sipas.extensions import db
from sipas.i18n import format_number
from sipas.services import backup
from sipas.services.audit import record_event
from sipas.services.backup import common

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


def _fail(error: common.BackupError) -> NoReturn:
    fail(str(error.message))


class PageProgress:
    """A progress bar over the SQLite pages copied, made when the total is known."""

    def __init__(self) -> None:
        self.bar: ProgressBar[int] | None = None
        self.copied = 0

    def __call__(self, copied: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=total,
                label=_(
                    "Copying %(pages)s pages of the SQLite database",
                    pages=format_number(total),
                ),
            )
            self.bar.__enter__()
        self.bar.update(copied - self.copied)
        self.copied = copied

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


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
    help="Backup file to write (SQLite: a .sqlite file; PostgreSQL: a pg_dump "
    "custom-format archive, e.g. .dump).",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def backup_command(output: Path, force: bool) -> None:
    """Back up the whole database while the application keeps running."""
    progress = PageProgress()
    try:
        info = backup.create_backup(output, force=force, progress=progress)
    except common.BackupError as error:
        _fail(error)
    finally:
        progress.close()
    _record("backup.create", output, info, size=info.size, responses=info.responses)
    click.echo(_("%(path)s written: %(info)s.", path=output, info=_describe(info)))


@click.command("restore")
@click.argument(
    "backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
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
