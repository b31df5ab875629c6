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

import enum
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import URL

from sipas.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
POSTGRES_MAGIC = b"PGDMP"
#: Tables every SIPAS database has; a database file without them is not a backup.
SIPAS_TABLES = frozenset({"responses", "waves", "units", "audit_events"})
#: SQLite pages copied per step of the online backup (4 MiB with 4 KiB pages).
PAGES_PER_STEP = 1024

#: ``progress(copied_pages, total_pages)`` while a SQLite backup runs.
Progress = Callable[[int, int], None]


class Kind(enum.StrEnum):
    sqlite = "sqlite"
    postgresql = "postgresql"


class Revision(enum.Enum):
    """Where a backup's schema revision stands against this code's migrations."""

    current = "current"
    older = "older"


class BackupError(Exception):
    """A backup or restore that cannot be done; ``message`` says why (translated)."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds."""

    path: Path
    kind: Kind
    #: The schema revision (alembic_version) the data was in.
    revision: str | None
    #: Number of stored responses; None where it cannot be read without restoring.
    responses: int | None
    size: int

    @classmethod
    def of_file(
        cls, path: Path, kind: Kind, revision: str | None, responses: int | None
    ) -> BackupInfo:
        """The description of the backup file at ``path``, with its size now."""
        return cls(path, kind, revision, responses, path.stat().st_size)


def database_kind(url: URL | None = None) -> Kind:
    """The kind of the app's database (or of ``url``); others are refused."""
    backend = (url or db.engine.url).get_backend_name()
    try:
        return Kind(backend)
    except ValueError:
        raise BackupError(
            _l("Backups support SQLite and PostgreSQL, not %(kind)s.", kind=backend)
        ) from None


def file_kind(path: Path) -> Kind:
    """SQLite or PostgreSQL by the file's first bytes; anything else is refused."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(
            _l("Cannot read %(path)s: %(error)s", path=path, error=error.strerror)
        ) from error
    if head.startswith(SQLITE_MAGIC):
        return Kind.sqlite
    if head.startswith(POSTGRES_MAGIC):
        return Kind.postgresql
    raise not_a_backup(path)


def not_a_backup(path: Path) -> BackupError:
    return BackupError(
        _l(
            "%(path)s is not a SIPAS backup (neither a SQLite database nor a "
            "PostgreSQL custom-format dump of SIPAS).",
            path=path,
        )
    )


# --- the schema revision ---------------------------------------------------------


def migration_revisions() -> tuple[set[str], set[str]]:
    """(every revision this code knows, its head revisions), from migrations/."""
    from alembic.script import ScriptDirectory  # a quarter second: only when needed

    folder = Path(current_app.root_path).parent / "migrations"
    script = ScriptDirectory(str(folder))
    known = {revision.revision for revision in script.walk_revisions()}
    return known, set(script.get_heads())


def check_revision(info: BackupInfo) -> Revision:
    """Whether this code can take the backup's schema; refuse a newer one."""
    if info.revision is None:
        raise BackupError(
            _l(
                "%(path)s has no schema revision (alembic_version): it was "
                "not made from a database set up with `flask db upgrade`.",
                path=info.path,
            )
        )
    known, heads = migration_revisions()
    if info.revision in heads:
        return Revision.current
    if info.revision in known:
        return Revision.older
    raise BackupError(
        _l(
            "The backup comes from a newer version of SIPAS (schema revision "
            "%(revision)s, unknown to this code). Upgrade SIPAS to at least the "
            "version that made the backup, then restore it.",
            revision=info.revision,
        )
    )


def check_kind(info: BackupInfo) -> None:
    """Refuse a backup of the other kind of database."""
    live = database_kind()
    if info.kind is live:
        return
    raise BackupError(
        _l(
            "%(path)s is a backup of a %(backup)s database, but this installation "
            "uses %(live)s. A backup goes back only into the same kind of database; "
            "moving data between SQLite and PostgreSQL is not done by restore.",
            path=info.path,
            backup=KIND_NAMES[info.kind],
            live=KIND_NAMES[live],
        )
    )


KIND_NAMES = {Kind.sqlite: "SQLite", Kind.postgresql: "PostgreSQL"}


# --- writing the file -------------------------------------------------------------


@contextmanager
def atomic_output(output: Path, *, force: bool) -> Iterator[Path]:
    """A temporary file next to ``output`` that becomes ``output`` when the block
    ends without error (fsynced, then renamed); removed otherwise.

    Without ``force`` an existing ``output`` is never replaced, even one that
    appeared while the backup ran (the final step is a hard link, which fails if
    the name is taken).
    """
    output = output.absolute()
    if output.exists() and not force:
        raise BackupError(
            _l(
                "%(path)s exists already: choose another name or use --force.",
                path=output,
            )
        )
    handle, name = tempfile.mkstemp(
        dir=output.parent, prefix=f".{output.name}.", suffix=".part"
    )
    os.close(handle)  # created with mode 0600: a backup holds personal data
    temporary = Path(name)
    try:
        yield temporary
        _fsync(temporary)
        if force:
            os.replace(temporary, output)
        else:
            try:
                os.link(temporary, output)
            except FileExistsError:
                raise BackupError(
                    _l(
                        "%(path)s appeared while the backup ran: nothing replaced.",
                        path=output,
                    )
                ) from None
        _fsync(output.parent)
    finally:
        temporary.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- SQLite -----------------------------------------------------------------------


def sqlite_path() -> Path:
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


def backup_sqlite(
    output: Path, *, force: bool, progress: Progress | None
) -> BackupInfo:
    """Copy the live database page by page into ``output`` while the app runs.

    The source connection holds one read transaction throughout, so the copy is the
    database as it was at the start (WAL lets writers go on meanwhile), the counts
    printed are the copy's, and the step-wise copy never restarts because of writes.
    """

    def report(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    live = sqlite_path()
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


def inspect_sqlite(path: Path) -> BackupInfo:
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


def restore_sqlite(path: Path) -> None:
    """Copy the backup over the live database in one step of the backup API.

    The copy holds the live database's write lock for the whole step, so a running
    app sees either the old data or the new, never a mixture; it keeps WAL mode.
    """
    live = sqlite_path()
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


# --- both kinds -------------------------------------------------------------------


def create_backup(
    output: Path, *, force: bool = False, progress: Progress | None = None
) -> BackupInfo:
    """Write a backup of the app's database to ``output`` and describe it."""
    kind = database_kind()
    if kind is Kind.sqlite:
        return backup_sqlite(output, force=force, progress=progress)
    from sipas.services.backup import postgresql as backup_postgres

    return backup_postgres.backup(output, force=force)


def inspect_backup(path: Path) -> BackupInfo:
    """What a backup file holds; refuses a file that is not a SIPAS backup."""
    if file_kind(path) is Kind.sqlite:
        return inspect_sqlite(path)
    from sipas.services.backup import postgresql as backup_postgres

    return backup_postgres.inspect(path)


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
        restore_sqlite(info.path)
        return []
    from sipas.services.backup import postgresql as backup_postgres

    return backup_postgres.restore(info.path)
