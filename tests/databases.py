"""Which database the suite runs on: a SQLite file per test, or (``pytest --db
postgresql``) a database per test on one throwaway PostgreSQL cluster.

`make test` runs the suite twice, once on each. Tests ask for a database through
``tests.conftest.make_app``; they never name the kind themselves, so every test of
the app runs on both.

Creating a PostgreSQL database with the schema costs about a quarter of a second,
emptying one a hundredth (DELETE of the tables that have rows): databases that
still have exactly the models' tables after a test are emptied and handed to the
next test that wants the tables; any other (migrated, half-built) is dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from sipas.extensions import db

#: Cluster settings for tests only: durability is worthless for a database that is
#: deleted after the run, and turning it off makes CREATE DATABASE cheap.
TEST_CLUSTER_SETTINGS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=300"
)


class _Databases:
    """The kind of database for this run and, for PostgreSQL, what was handed out."""

    def __init__(self) -> None:
        self.cluster_url: str | None = None
        self._handed_out: list[str] = []
        self._emptied: list[str] = []
        #: Databases handed out emptied, with the models' tables already there.
        self._with_tables: set[str] = set()
        self._numbers = itertools.count(1)
        self._admin: sa.Engine | None = None

    @property
    def postgresql(self) -> bool:
        """Whether this run uses PostgreSQL."""
        return self.cluster_url is not None

    def url_for(self, sqlite_path: Path, with_tables: bool = False) -> str:
        """A database with no rows: the SQLite file, or a PostgreSQL database that
        is empty or, when ``with_tables``, may already have the models' tables."""
        if not self.postgresql:
            return f"sqlite:///{sqlite_path}"
        if with_tables and self._emptied:
            name = self._emptied.pop()
            self._with_tables.add(name)
        else:
            name = f"t{next(self._numbers)}"
            with self._admin_engine().connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        self._handed_out.append(name)
        return self._url(name)

    def has_tables(self, url: str) -> bool:
        """Whether the database at ``url`` was handed out with the models' tables."""
        return url.rsplit("/", 1)[-1] in self._with_tables

    def unreachable_url(self, folder: Path) -> str:
        """A database of the run's kind that cannot be opened."""
        if not self.postgresql:
            return f"sqlite:///{folder / 'missing' / 'nowhere' / 'db.sqlite'}"
        return self._url("no_such_database")

    def keep_handed_out(self) -> None:
        """Leave the databases handed out so far alone (wider-scoped fixtures')."""
        self._handed_out.clear()

    def take_back(self) -> None:
        """Empty or drop the databases handed out since the last call."""
        for name in self._handed_out:
            self._with_tables.discard(name)
            self._close_connections(name)
            if self._empty_for_reuse(name):
                self._emptied.append(name)
            else:
                with self._admin_engine().connect() as connection:
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        self._handed_out.clear()

    def _empty_for_reuse(self, name: str) -> bool:
        """Empty the tables that have rows and restart every sequence, if the
        tables are exactly the models'. (TRUNCATE cost ~40 ms a test, even of the
        few tables a test writes to: a new file per table and all it cascades to.)"""
        engine = sa.create_engine(self._url(name), poolclass=sa.NullPool)
        try:
            with engine.begin() as connection:
                tables = set(
                    connection.exec_driver_sql(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    ).scalars()
                )
                if tables != set(db.metadata.tables):
                    return False
                written = _tables_with_rows(connection, sorted(tables))
                if _holds_many_rows(connection, written):
                    # a bulk test's hundred thousand responses: DELETE took 8-16 s
                    listed = ", ".join(written)
                    connection.exec_driver_sql(f"TRUNCATE {listed} CASCADE")
                # children first; DELETE of a few rows costs a fraction of TRUNCATE's
                for table in reversed(db.metadata.sorted_tables):
                    if table.name in written:
                        connection.execute(table.delete())
                connection.exec_driver_sql(
                    "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"
                )
            return True
        finally:
            engine.dispose()

    def _close_connections(self, name: str) -> None:
        """End the sessions a test left open on ``name`` (they would hold locks)."""
        with self._admin_engine().connect() as connection:
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    def _url(self, name: str) -> str:
        return self.cluster_url.rsplit("/", 1)[0] + f"/{name}"

    def _admin_engine(self) -> sa.Engine:
        if self._admin is None:
            # pooled: one connection serves the whole run
            self._admin = sa.create_engine(
                self.cluster_url, isolation_level="AUTOCOMMIT"
            )
        return self._admin

    @contextmanager
    def using_cluster(self, url: str) -> Iterator[None]:
        """Run the session's tests on the cluster at ``url``."""
        self.cluster_url = url
        try:
            yield
        finally:
            self._handed_out.clear()
            self._emptied.clear()
            if self._admin is not None:
                self._admin.dispose()
            self.cluster_url = None


#: Rows in one table from which emptying the tables by TRUNCATE pays.
MANY_ROWS = 10_000


def _holds_many_rows(connection: sa.Connection, tables: list[str]) -> bool:
    """Whether any of ``tables`` holds MANY_ROWS rows or more (each counted no
    further), in one query."""
    if not tables:
        return False
    probes = " UNION ALL ".join(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {MANY_ROWS}) AS probe"  # noqa: S608
        for table in tables
    )
    return max(connection.exec_driver_sql(probes).scalars()) >= MANY_ROWS


def _tables_with_rows(connection: sa.Connection, tables: list[str]) -> list[str]:
    """Which of ``tables`` hold a row, in one query."""
    probes = " UNION ALL ".join(
        f"SELECT '{table}' FROM (SELECT 1 FROM {table} LIMIT 1) AS probe"  # noqa: S608
        for table in tables
    )
    return list(connection.exec_driver_sql(probes).scalars())


#: The one instance the fixtures and ``make_app`` share.
databases = _Databases()
