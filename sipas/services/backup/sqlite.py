"""SQLite backups: a page-by-page copy of the live file while the app runs, checked
for integrity, and restored in one step of SQLite's backup API."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from sipas.extensions import db
from sipas.services.backup.common import (
    PAGES_PER_STEP,
    SIPAS_TABLES,
    BackupError,
    BackupInfo,
    Kind,
    Progress,
    atomic_output,
    not_a_backup,
)


def database_file() -> Path:
    """The file of the app's SQLite database."""
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise BackupError(_l("An in-memory database cannot be backed up."))
    return Path(name)


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
    if read_only:
        target = f"{path.absolute().as_uri()}?mode=ro"
        return sqlite3.connect(target, uri=True, timeout=timeout, isolation_level=None)
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def backup(output: Path, *, force: bool, progress: Progress | None) -> BackupInfo:
    """Copy the live database page by page into ``output`` while the app runs.

    The source connection holds one read transaction throughout, so the copy is the
    database as it was at the start (WAL lets writers go on meanwhile), the counts
    printed are the copy's, and the step-wise copy never restarts because of writes.
    """

    def report(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    live = database_file()
    if not live.exists():
        raise BackupError(_l("The database %(path)s does not exist.", path=live))
    with atomic_output(output, force=force) as temporary, _sqlite_errors(live):
        source, target = _connect(live), _connect(temporary)
        try:
            source.execute("BEGIN")
            revision, responses = _revision_and_responses(source)
            source.backup(target, pages=PAGES_PER_STEP, progress=report)
            source.execute("COMMIT")
            # the copy inherits WAL mode; a backup is one self-contained file
            target.execute("PRAGMA journal_mode = DELETE")
            _check_integrity(target, output)
        finally:
            source.close()
            target.close()
    return BackupInfo.of_file(output, Kind.sqlite, revision, responses)


def _tables(connection: sqlite3.Connection) -> set[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return {row[0] for row in connection.execute(query)}


def _revision_and_responses(connection: sqlite3.Connection) -> tuple[str | None, int]:
    """The schema revision (None if never stamped) and the number of responses."""
    tables = _tables(connection)
    revision = None
    if "alembic_version" in tables:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    if "responses" not in tables:
        return revision, 0
    return revision, connection.execute("SELECT count(*) FROM responses").fetchone()[0]


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(
            _l(
                "%(path)s fails SQLite's integrity check: %(problems)s",
                path=path,
                problems="; ".join(problems[:5]),
            )
        )


def inspect(path: Path) -> BackupInfo:
    """Check a SQLite backup file and read its revision and number of responses."""
    try:
        connection = _connect(path, read_only=True)
        try:
            if not SIPAS_TABLES <= _tables(connection):
                raise not_a_backup(path)
            _check_integrity(connection, path)
            revision, responses = _revision_and_responses(connection)
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise not_a_backup(path) from error
    return BackupInfo.of_file(path, Kind.sqlite, revision, responses)


def restore(path: Path) -> None:
    """Copy the backup over the live database in one step of the backup API.

    The copy holds the live database's write lock for the whole step, so a running
    app sees either the old data or the new, never a mixture; it keeps WAL mode.
    """
    live = database_file()
    with _sqlite_errors(live):
        source, target = _connect(path, read_only=True), _connect(live)
        try:
            source.backup(target, pages=-1)
        finally:
            source.close()
            target.close()


@contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """SQLite's own errors (locked for too long, disk full) as a BackupError."""
    try:
        yield
    except sqlite3.Error as error:
        raise BackupError(
            _l("SQLite failed on %(path)s: %(error)s", path=path, error=error)
        ) from error
