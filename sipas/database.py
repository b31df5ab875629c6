"""Engine set-up: SQLite pragmas and transaction handling that makes writes safe;
a connection pool for server databases that survives the database's restart."""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import count
from typing import Any

import click
from flask import Flask, g, has_app_context, has_request_context, request
from sqlalchemy import BindParameter, Integer, bindparam, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from sipas.extensions import db

#: Pool of each worker process for a server database (PostgreSQL), overridable by
#: settings of these names (SIPAS_DATABASE_POOL_SIZE …) or SQLALCHEMY_ENGINE_OPTIONS.
#: A gunicorn worker with T threads needs T connections at most; the database must
#: allow workers × (size + overflow) connections (PostgreSQL's default is 100).
POOL_DEFAULTS = {
    "DATABASE_POOL_SIZE": 5,
    "DATABASE_MAX_OVERFLOW": 5,
    #: Seconds a request waits for a free connection before the 503 page.
    "DATABASE_POOL_TIMEOUT": 10,
    #: Seconds to reach the database server before giving up (503).
    "DATABASE_CONNECT_TIMEOUT": 5,
}


def configure_database(app: Flask) -> None:
    """Bind SQLAlchemy and the `flask db` commands; tune SQLite connections."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    app.cli.add_command(_MigrationCommands(app))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _tune_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """SQLALCHEMY_ENGINE_OPTIONS completed for a server database.

    ``pool_pre_ping`` tests a pooled connection before lending it out, so after the
    database has restarted (or dropped idle connections) the pool replaces dead
    connections instead of failing a request with them: the app recovers by itself.
    A request made while the database is down fails fast (connect timeout) and gets
    the 503 page (sipas.errors).
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if url.startswith("sqlite"):
        return options

    def setting(name: str) -> int:
        return int(config.get(name, POOL_DEFAULTS[name]))

    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_size", setting("DATABASE_POOL_SIZE"))
    options.setdefault("max_overflow", setting("DATABASE_MAX_OVERFLOW"))
    options.setdefault("pool_timeout", setting("DATABASE_POOL_TIMEOUT"))
    if url.startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", setting("DATABASE_CONNECT_TIMEOUT"))
        options["connect_args"] = connect_args
    return options


def init_migrations(app: Flask) -> None:
    """Set up Flask-Migrate (Alembic) on the app, once."""
    from flask_migrate import Migrate

    if "migrate" not in app.extensions:
        Migrate(app, db, render_as_batch=True, compare_type=True)


class _MigrationCommands(click.Group):
    """Flask-Migrate's `flask db …`, set up when it runs: importing Alembic takes about
    a quarter of a second, which every other command and every worker would pay."""

    def __init__(self, app: Flask) -> None:
        super().__init__("db", help="Perform database migrations (Flask-Migrate).")
        self._app = app

    def make_context(
        self, info_name: str | None, args: list[str], parent=None, **extra
    ) -> click.Context:
        """Hand the command line to Flask-Migrate's own `db` group."""
        init_migrations(self._app)
        # Migrate.init_app has put its group under the same name
        commands = self._app.cli.commands["db"]
        return commands.make_context(info_name, args, parent=parent, **extra)


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and real SAVEPOINT support.

    pysqlite opens transactions lazily on its own, which breaks SAVEPOINT and lets
    two writers deadlock on a read-to-write upgrade; we take over BEGIN ourselves
    (the recipe in SQLAlchemy's SQLite dialect documentation). POST requests are the
    only ones that write, so they start with BEGIN IMMEDIATE and queue on the busy
    timeout instead of failing with "database is locked" half-way through.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes() else "BEGIN")


_READS_FIRST = "_sipas_reads_first"
_WRITES_NEXT = "_sipas_writes_next"


def _writes() -> bool:
    """Whether the transaction beginning now will write (SQLite: BEGIN IMMEDIATE)."""
    if not has_request_context():
        # a command, a job: only after writes_next()
        return has_app_context() and bool(g.pop(_WRITES_NEXT, False))
    if g.pop(_WRITES_NEXT, False):
        return True
    return request.method not in ("GET", "HEAD") and not g.pop(_READS_FIRST, False)


def writes_next() -> None:
    """End this reading request's transaction (nothing was written: the commit only
    closes it); the next one writes and, on SQLite, starts with BEGIN IMMEDIATE.

    For a GET that may write after reading (the results page asking for a job),
    or a command that checks a file before it stores it: on SQLite a transaction
    that has read cannot write once another connection has written since, and it
    would fail with "database is locked" at once, without waiting.
    """
    db.session.commit()
    g.setdefault(_WRITES_NEXT, True)


def reads_first() -> None:
    """The next transaction of this writing request only reads: on SQLite it starts
    with a plain BEGIN and takes no write lock. The view must commit (or roll back)
    it before it writes; the transaction after it takes the lock as usual.

    For a request that reads and checks a lot before it writes (a kiosk's batch),
    so that the other workers' writes do not wait for the checking.
    """
    g.setdefault(_READS_FIRST, True)


def end_reads() -> None:
    """End the reading transaction begun after :func:`reads_first` (nothing was
    written, the commit only closes it); the next transaction writes."""
    g.pop(_READS_FIRST, None)
    db.session.commit()


@contextmanager
def written_in_place() -> Iterator[bool]:
    """Around a bulk write into a new SQLite database, its commit included: the
    pages go into the database file at once, under a rollback journal, instead
    of into the write-ahead log and from there into the file at the commit. New
    pages need no journal, so the demo's 300 MB are written once, not twice
    (0.5 s of its 10 s). Yields whether it could.

    Only while this connection is the database's only one (SQLite refuses at
    once otherwise, and the write goes through the log as usual). For as long as
    it lasts the database is closed to others: a connection opened meanwhile,
    a reader's too, waits for the write and gives up after its busy timeout
    (10 s), and a reader that bypasses the app holds up the commit. So only for
    a new installation's first load, which nobody reads yet. Enter it with no
    transaction open: a transaction still open at its end is rolled back.
    Commits then wait for the disk as in a rollback journal they must
    (synchronous FULL); the log and its settings are back after it.
    """
    if db.engine.dialect.name != "sqlite" or db.engine.url.database in _NO_FILE:
        yield False
        return
    db.engine.dispose()  # this process's idle connections would refuse it too
    in_place = _journal("delete", synchronous="FULL") == "delete"
    try:
        yield in_place
    finally:
        if in_place:
            db.session.rollback()  # ends a transaction left open; none after a commit
            _journal("wal", synchronous="NORMAL")


#: SQLite database names that are no file (and so have no journal to choose).
_NO_FILE = (None, "", ":memory:")


def _journal(mode: str, synchronous: str) -> str:
    """Set the database's journal ``mode`` on a connection of the pool, outside
    any transaction, then that connection's ``synchronous`` level; the journal
    mode it has after. Another open connection keeps it unchanged (not waited
    for). The pool gives the connection back for the session's next transaction:
    it is the only one once the journal is no longer the write-ahead log."""
    raw = db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert isinstance(driver, sqlite3.Connection)  # noqa: S101  (SQLite only)
        (waits,) = driver.execute("PRAGMA busy_timeout").fetchone()
        driver.execute("PRAGMA busy_timeout = 0")
        try:
            (now,) = driver.execute(f"PRAGMA journal_mode = {mode}").fetchone()
        except sqlite3.OperationalError:  # "database is locked": not alone
            (now,) = driver.execute("PRAGMA journal_mode").fetchone()
        finally:
            driver.execute(f"PRAGMA busy_timeout = {int(waits)}")
        if now == mode:
            driver.execute(f"PRAGMA synchronous = {synchronous}")
        return str(now)
    finally:
        raw.close()


def row_batches(
    statement: ClauseElement, size: int
) -> Generator[Sequence[Any], None, None]:
    """The rows of a Core ``statement`` as the driver's own tuples, ``size`` at a
    time, read from the database as they are taken: on PostgreSQL through a
    server-side cursor (its driver otherwise receives the whole result before the
    first row: a million responses' packed answers, 170 MB)."""
    connection = db.session.connection()
    sql, parameters = _for_driver(statement, connection.dialect, None)
    raw = connection.connection
    if connection.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"sipas_rows_{next(_CURSORS)}")
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql, parameters)
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()


#: Numbers the server-side cursors of one connection apart.
_CURSORS = count(1)


def batch_bound(name: str) -> BindParameter[int]:
    """An integer parameter of a statement compiled once and run for batch after
    batch, its value given to :func:`plain_rows` at each run."""
    return bindparam(name, type_=Integer, required=False)


def plain_rows(
    statement: ClauseElement, values: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """The rows of a Core ``statement`` as the database driver's own tuples, with
    ``values`` for its ``bindparam``s (a statement run for batch after batch is
    compiled once).

    For hot paths that read millions of plain values (an export's answers):
    SQLAlchemy's Row objects and result processing cost as much as the query. Only
    for columns the driver already returns as Python wants them (ints, text).
    """
    connection = db.session.connection()
    sql, parameters = _for_driver(statement, connection.dialect, values)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _for_driver(
    statement: ClauseElement, dialect: Dialect, values: Mapping[str, Any] | None
) -> tuple[str, Any]:
    """The SQL and parameters the driver runs: the IN lists made into one
    parameter each, and ``values`` put in place of their ``bindparam``s."""
    expanded = _compiled(statement, dialect).construct_expanded_state(values)
    if expanded.positiontup is not None:
        return expanded.statement, expanded.positional_parameters
    return expanded.statement, expanded.parameters


@lru_cache(maxsize=16)
def _compiled(statement: ClauseElement, dialect: Dialect) -> SQLCompiler:
    """``statement`` compiled for ``dialect``, kept for the statements used last."""
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)  # noqa: S101  (a statement, not DDL)
    return compiled
