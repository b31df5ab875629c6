"""Backups of the whole database and restoring them (`flask sipas backup/restore`).

A backup is the database's own format, so it can be opened without SIPAS in an
emergency: a SQLite backup is a plain SQLite file (journal mode DELETE, one file),
a PostgreSQL backup is a `pg_dump --format=custom` archive. The first bytes tell the
kind ("SQLite format 3", "PGDMP"); a backup only goes back into the same kind of
database (moving between SQLite and PostgreSQL is another job). The schema revision
(table ``alembic_version``) travels inside, so a backup from newer code is refused and
one from older code is restored and then needs `flask db upgrade`.
"""

from __future__ import annotations

from pathlib import Path

from sipas.extensions import db
from sipas.services.backup import postgresql, sqlite
from sipas.services.backup.common import (
    BackupInfo,
    Kind,
    Progress,
    Revision,
    check_kind,
    check_revision,
    database_kind,
    file_kind,
)


def create_backup(
    output: Path, *, force: bool = False, progress: Progress | None = None
) -> BackupInfo:
    """Write a backup of the app's database to ``output`` and describe it."""
    kind = database_kind()
    if kind is Kind.sqlite:
        return sqlite.backup(output, force=force, progress=progress)
    return postgresql.backup(output, force=force)


def inspect_backup(path: Path) -> BackupInfo:
    """What a backup file holds; refuses a file that is not a SIPAS backup."""
    if file_kind(path) is Kind.sqlite:
        return sqlite.inspect(path)
    return postgresql.inspect(path)


def check_restore(info: BackupInfo) -> Revision:
    """Refuse what cannot be restored here; say whether an upgrade follows."""
    check_kind(info)
    return check_revision(info)


def restore_backup(info: BackupInfo) -> list[str]:
    """Replace all data of the app's database with the backup's; the names of
    tables dropped because the (older) backup does not have them.

    The caller's session must hold nothing: it is closed here, and pooled
    connections are dropped so none keeps a lock the restore waits for.
    """
    db.session.remove()
    db.engine.dispose()
    if info.kind is Kind.sqlite:
        sqlite.restore(info.path)
        return []
    return postgresql.restore(info.path)
