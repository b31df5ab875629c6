"""PostgreSQL backups with pg_dump (custom format) and pg_restore.

The tools get a libpq connection string without the password; the password goes
in the environment (PGPASSWORD), never on a command line other users can read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import URL

from sipas.extensions import db
from sipas.services.backup.common import (
    POSTGRES_MAGIC,
    SIPAS_TABLES,
    BackupError,
    BackupInfo,
    Kind,
    atomic_output,
    not_a_backup,
)


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """(libpq connection URI without password, environment carrying the password)."""
    # URL.set() cannot take the password away (None means "unchanged")
    without_password = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    uri = without_password.render_as_string(hide_password=False)
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return uri, environment


def _tool(name: str) -> str:
    folder = current_app.config.get("PG_BIN_DIR")
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).exists():
        raise BackupError(
            _l(
                "%(tool)s was not found: install the PostgreSQL client programs "
                "(Debian: postgresql-client) or set PG_BIN_DIR.",
                tool=name,
            )
        )
    return found


def _run(name: str, *args: str, connect: bool = False) -> str:
    """Run a PostgreSQL client program (on the app's database if ``connect``);
    its output."""
    uri, environment = libpq_target(db.engine.url)
    arguments = [*args, f"--dbname={uri}"] if connect else list(args)
    finished = subprocess.run(  # noqa: S603  (fixed program, no shell)
        [_tool(name), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise BackupError(
            _l(
                "%(tool)s failed: %(error)s",
                tool=name,
                error=finished.stderr.strip()[-2000:],
            )
        )
    return finished.stdout


def backup(output: Path, *, force: bool) -> BackupInfo:
    """pg_dump into ``output``, from the same snapshot the counts are read in."""
    try:
        return _backup(output, force=force)
    except sa.exc.SQLAlchemyError as error:
        # the driver's own message when there is one (a pool timeout has none)
        cause = error.orig if isinstance(error, sa.exc.DBAPIError) else None
        raise BackupError(
            _l("The database cannot be read: %(error)s", error=cause or error)
        ) from error


def _backup(output: Path, *, force: bool) -> BackupInfo:
    engine = db.engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as connection, connection.begin():
        snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
        revision = _revision(connection)
        responses = connection.scalar(sa.text("SELECT count(*) FROM responses"))
        with atomic_output(output, force=force) as temporary:
            _run(
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={temporary}",
                connect=True,
            )
            with temporary.open("rb") as handle:
                if handle.read(len(POSTGRES_MAGIC)) != POSTGRES_MAGIC:
                    raise not_a_backup(temporary)
    return BackupInfo.of_file(output, Kind.postgresql, revision, responses)


def _revision(connection: sa.Connection) -> str | None:
    if not connection.scalar(sa.text("SELECT to_regclass('alembic_version')")):
        return None
    return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def dump_tables(path: Path) -> set[str]:
    """Names of the tables in a pg_dump archive (from its table of contents)."""
    try:
        listing = _run("pg_restore", "--list", str(path))
    except BackupError as error:
        raise not_a_backup(path) from error
    tables = set()
    for line in listing.splitlines():
        # "215; 1259 16390 TABLE public responses postgres"
        words = line.split()
        if not line.startswith(";") and len(words) >= 6 and words[3] == "TABLE":
            tables.add(words[5])
    return tables


def dump_revision(path: Path) -> str | None:
    """The row of alembic_version in a pg_dump archive, read without a database."""
    script = _run(
        "pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(path)
    )
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "alembic_version" in line:
            row = next(lines, "\\.")
            return None if row == "\\." else row.split("\t")[0]
    return None


def inspect(path: Path) -> BackupInfo:
    """Check a pg_dump archive is a SIPAS backup; read its schema revision."""
    if not SIPAS_TABLES <= dump_tables(path):
        raise not_a_backup(path)
    return BackupInfo.of_file(path, Kind.postgresql, dump_revision(path), None)


def restore(path: Path) -> list[str]:
    """Replace the database's content with the archive's, all or nothing; the
    names of the tables dropped because the backup does not have them.

    Such tables come from migrations newer than the backup. They go in the same
    transaction as the restore, before it: one of them may hold a foreign key to a
    table the restore drops and creates again.
    """
    with db.engine.connect() as connection:
        live_tables = set(sa.inspect(connection).get_table_names())
    db.engine.dispose()
    leftovers = sorted(live_tables - dump_tables(path))
    if leftovers:
        _restore_through_psql(path, leftovers)
    else:
        _run(
            "pg_restore",
            *RESTORE_OPTIONS,
            "--single-transaction",
            str(path),
            connect=True,
        )
    return leftovers


#: pg_restore replaces every object of the archive; ownership stays with the
#: account the app connects as.
RESTORE_OPTIONS = ("--clean", "--if-exists", "--no-owner", "--exit-on-error")


def _restore_through_psql(path: Path, leftovers: list[str]) -> None:
    """pg_restore's script after DROP TABLE of ``leftovers``, run by psql in one
    transaction that stops at the first error."""
    quote = db.engine.dialect.identifier_preparer.quote
    drops = "".join(f"DROP TABLE IF EXISTS {quote(t)} CASCADE;" for t in leftovers)
    uri, environment = libpq_target(db.engine.url)
    with tempfile.TemporaryFile() as errors:
        script = subprocess.Popen(  # noqa: S603  (fixed program, no shell)
            [_tool("pg_restore"), *RESTORE_OPTIONS, "--file=-", str(path)],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=environment,
        )
        finished = subprocess.run(  # noqa: S603
            [_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction"]
            + ["--set=ON_ERROR_STOP=1", f"--command={drops}", "--file=-"]
            + [f"--dbname={uri}"],
            stdin=script.stdout,
            capture_output=True,
            env=environment,
            check=False,
        )
        if script.stdout is not None:  # always: stdout=PIPE
            script.stdout.close()
        failed_restore = script.wait() != 0
        errors.seek(0)
        message = errors.read() + finished.stderr
    if failed_restore or finished.returncode != 0:
        raise BackupError(
            _l(
                "%(tool)s failed: %(error)s",
                tool="pg_restore | psql",
                error=message.decode(errors="replace").strip()[-2000:],
            )
        )
