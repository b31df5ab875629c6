"""Engine set-up: SQLite pragmas and transaction handling that makes writes safe."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from sipas.extensions import db, migrate


def configure_database(app: Flask) -> None:
    """Bind SQLAlchemy and Alembic; tune SQLite connections when SQLite is used."""
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _tune_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and real SAVEPOINT support.

    pysqlite opens transactions lazily on its own, which breaks SAVEPOINT and lets
    two writers deadlock on a read-to-write upgrade; we take over BEGIN ourselves
    (the recipe in SQLAlchemy's SQLite dialect documentation). POST requests are the
    only ones that write, so they start with BEGIN IMMEDIATE and queue on the busy
    timeout instead of failing with "database is locked" half-way through.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        writes = has_request_context() and request.method not in ("GET", "HEAD")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
