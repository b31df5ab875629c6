"""What both kinds of backup share: the file kinds, the schema revision check, the
description of a backup and writing a file atomically."""

from __future__ import annotations

import enum
import os
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
