"""Plain rows for hot paths (sipas/database.py): a statement compiled once and run
with each batch's values, a long result read a batch at a time (on PostgreSQL
through a server-side cursor, so the driver never holds the whole result), and a
bulk write into a new SQLite database written in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from sipas.database import batch_bound, plain_rows, row_batches, written_in_place
from sipas.extensions import db
from sipas.models import Unit
from tests.conftest import make_app
from tests.databases import databases


def _units(count: int) -> list[int]:
    """Ids of ``count`` new units, increasing."""
    db.session.execute(
        sa.insert(Unit),
        [
            {"code": f"U{k:04d}", "name": f"Đơn vị {k}", "level": "commune"}
            for k in range(count)
        ],
    )
    db.session.flush()
    return list(db.session.scalars(sa.select(Unit.id).order_by(Unit.id)))


def test_row_batches_read_every_row_once_in_batches(app):
    ids = _units(25)
    statement = sa.select(Unit.id, Unit.name).order_by(Unit.id)
    batches = list(row_batches(statement, 10))
    assert [len(batch) for batch in batches] == [10, 10, 5]
    assert [row[0] for batch in batches for row in batch] == ids
    assert batches[0][0][1] == "Đơn vị 0"


def test_a_batch_statement_runs_again_with_other_values(app):
    ids = _units(12)
    in_span = (
        sa.select(Unit.id)
        .where(Unit.id.between(batch_bound("first"), batch_bound("last")))
        .where(Unit.code.in_(["U0001", "U0002", "U0007", "U0011"]))
        .order_by(Unit.id)
    )
    first = plain_rows(in_span, {"first": ids[0], "last": ids[5]})
    second = plain_rows(in_span, {"first": ids[6], "last": ids[11]})
    assert [row[0] for row in first] == [ids[1], ids[2]]
    assert [row[0] for row in second] == [ids[7], ids[11]]


def _journal_and_sync() -> tuple[str, int]:
    """The session connection's journal mode and synchronous level."""
    connection = db.session.connection()
    mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    level = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    return str(mode), int(level)


@pytest.mark.sqlite_only
def test_a_bulk_write_alone_goes_in_place_and_the_log_comes_back(app):
    db.session.commit()
    with written_in_place() as in_place:
        assert in_place
        assert _journal_and_sync() == ("delete", 2)  # FULL: the journal is synced
        _units(3)
        db.session.commit()
    assert _journal_and_sync() == ("wal", 1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 3


@pytest.mark.sqlite_only
def test_another_open_connection_keeps_the_log(app, tmp_path):
    assert _journal_and_sync() == ("wal", 1)  # as every connection of the app sets
    db.session.commit()
    other = sqlite3.connect(tmp_path / "sipas.db")  # another process's, say
    try:
        other.execute("SELECT count(*) FROM units").fetchone()
        with written_in_place() as in_place:
            assert not in_place
            assert _journal_and_sync() == ("wal", 1)
            _units(2)
            db.session.commit()
        # the other connection reads the rows as they were written: nothing held
        assert other.execute("SELECT count(*) FROM units").fetchone() == (2,)
        # asked without waiting for the other connection; the wait is back after
        waits = db.session.connection().exec_driver_sql("PRAGMA busy_timeout")
        assert waits.scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
    finally:
        other.close()


@pytest.mark.sqlite_only
def test_a_write_that_fails_in_place_stores_nothing_and_gives_back_the_log(app):
    db.session.commit()

    def stopped_half_way() -> None:
        with written_in_place():
            _units(4)
            raise RuntimeError("stopped half-way")

    with pytest.raises(RuntimeError):
        stopped_half_way()
    assert _journal_and_sync() == ("wal", 1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 0


def test_a_server_database_has_no_journal_to_choose(app):
    if databases.postgresql:
        with written_in_place() as in_place:
            assert not in_place
    else:
        memory = make_app(Path("unused"), SQLALCHEMY_DATABASE_URI="sqlite://")
        with memory.app_context(), written_in_place() as in_place:
            assert not in_place
