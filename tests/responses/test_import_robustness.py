"""`flask sipas import` when something else happens: Ctrl+C while the indexes are
made again, another connection writing during the check, a database error while
storing, a cell too long for csv, a cell with line breaks. Nothing is stored half,
and the user reads what happened in their language. (Found by a helper session's
review; each test failed before its fix.)"""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from sipas.cli.stopping import INTERRUPTED
from sipas.extensions import db
from sipas.services.responses import imports
from tests.responses.test_bulk import secondary_indexes, varied_rows
from tests.responses.test_imports import csv_file, make_row, run, stored_count


@pytest.mark.sqlite_only
def test_ctrl_c_while_the_indexes_are_made_again_says_stopped(
    wave, questionnaire, runner, tmp_path, monkeypatch
):
    """A first import drops the indexes and makes them again at its end
    (bulk.indexes_built_after); Ctrl+C in a CREATE INDEX lets the connection go:
    the command says it stopped, with status 130, and the rollback restores the
    indexes (it once ran PRAGMA threads on the connection let go: SQLAlchemy's
    traceback)."""
    before = secondary_indexes()
    path = tmp_path / "in.csv"
    path.write_bytes(csv_file(varied_rows(questionnaire, 300, seed=3)))
    dialect = type(db.engine.dialect)
    execute = dialect.do_execute

    def do_execute(self, cursor, statement, parameters, context=None):
        if statement.startswith("CREATE INDEX"):
            raise KeyboardInterrupt
        return execute(self, cursor, statement, parameters, context)

    monkeypatch.setattr(dialect, "do_execute", do_execute)
    result = runner.invoke(args=["sipas", "import", "demo", str(path)])
    monkeypatch.undo()
    db.session.rollback()
    assert stored_count(wave) == 0  # holds
    assert secondary_indexes() == before  # holds
    assert not isinstance(result.exception, sa.exc.PendingRollbackError)
    assert result.exit_code == INTERRUPTED, result.exception
    assert "Đã dừng (Ctrl+C)." in result.output


@pytest.mark.sqlite_only
def test_a_write_by_another_connection_during_the_check_does_not_break_the_import(
    wave, questionnaire, runner, tmp_path, monkeypatch
):
    """The check reads; the store is a transaction of its own that writes from
    its start. In one transaction, any commit of another connection in between
    (a kiosk's response, another import) made the first write fail at once
    with "database is locked" (SQLITE_BUSY_SNAPSHOT: no waiting)."""
    path = tmp_path / "in.csv"
    path.write_bytes(csv_file([make_row(questionnaire) for _ in range(20)]))
    database = db.engine.url.database
    check_file = imports.check_file

    def check_then_another_writer(*args, **kwargs):
        checked = check_file(*args, **kwargs)
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("CREATE TABLE IF NOT EXISTS review_other_writer (x)")
        other.execute("INSERT INTO review_other_writer VALUES (1)")
        other.close()
        return checked

    monkeypatch.setattr(imports, "check_file", check_then_another_writer)
    result = runner.invoke(args=["sipas", "import", "demo", str(path)])
    db.session.rollback()
    assert not isinstance(result.exception, sa.exc.OperationalError), result.exception
    assert result.exit_code == 0, result.output
    assert stored_count(wave) == 20


def test_a_disk_failure_while_storing_is_said_in_words(
    wave, questionnaire, runner, tmp_path, monkeypatch
):
    """A full disk (or any database error) mid-store: nothing is stored, and the
    command says why in Vietnamese, with status 1, not SQLAlchemy's traceback."""
    path = tmp_path / "in.csv"
    path.write_bytes(csv_file([make_row(questionnaire) for _ in range(5)]))
    from sipas.services.responses import bulk

    def full(*_args, **_kwargs):
        error = sqlite3.OperationalError("database or disk is full")
        raise sa.exc.OperationalError("INSERT INTO answers …", {}, error)

    monkeypatch.setattr(bulk, "insert_answers", full)
    result = runner.invoke(args=["sipas", "import", "demo", str(path)])
    db.session.rollback()
    assert stored_count(wave) == 0  # holds
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert (
        "Đã dừng: cơ sở dữ liệu báo ổ đĩa đã đầy. Không có gì bị lưu dở dang."
        in result.output
    )
    assert "Traceback" not in result.output


def test_a_huge_cell_is_reported_by_row_and_column_in_vietnamese(wave, questionnaire):
    """csv's own limit (131 072 characters a cell) ended the read with Python's
    English words and no row or column: the long cell is now read, and refused
    by row and column."""
    rows = [make_row(questionnaire) for _ in range(3)]
    rows[1]["comment"] = "x" * 200_000
    report = run(wave, csv_file(rows))
    assert stored_count(wave) == 0  # holds
    assert "field larger than field limit" not in str(report.file_error or "")
    assert [(e.row, e.column) for e in report.errors] == [(3, "comment")]


def test_a_line_break_in_a_cell_does_not_shift_the_rows_named(wave, questionnaire):
    """A spreadsheet shows a cell with line breaks as one row: rows are numbered
    so (they were numbered by line of text, every problem below such a cell
    named further down than the user sees)."""
    rows = [make_row(questionnaire) for _ in range(5)]
    rows[0]["comment"] = "một\nhai\nba"
    rows[3]["A1"] = "7"  # spreadsheet row 5 (the header is row 1)
    report = run(wave, csv_file(rows))
    assert [(e.row, e.column) for e in report.errors] == [(5, "A1")]


def test_rows_another_import_stored_since_the_check_count_as_already(
    wave, questionnaire
):
    """Two imports of overlapping files at once: what the other stored between
    this one's check and its store counts as imported before, not a second copy
    (nor a refusal by the unique index)."""
    first = [make_row(questionnaire) for _ in range(4)]
    both = csv_file([*first, make_row(questionnaire)])
    checked = imports.check_file(wave, "both.csv", both, None)
    assert (checked.report.already, len(checked.fresh)) == (0, 5)
    assert run(wave, csv_file(first)).imported == 4  # the other import
    db.session.commit()
    report = imports.store_checked_file(wave, "both.csv", both, None, checked)
    db.session.commit()
    assert (report.imported, report.already, report.rows) == (1, 4, 5)
    assert stored_count(wave) == 5


def test_rows_without_response_id_are_the_same_rows_whatever_the_column_order(
    wave, questionnaire
):
    """The id made for a row without response_id depends on its responses, not on
    the order of the columns or on the columns the import ignores (weight,
    stratum …): a file saved again from a spreadsheet is recognised. (It hashed
    every cell in file order: such a file was stored a second time.)"""
    rows = [make_row(questionnaire, response_id="", weight="9.401061410159212")]
    rows += [make_row(questionnaire, response_id="", weight="9.5") for _ in range(4)]
    columns = list(rows[0])
    assert run(wave, csv_file(rows, columns)).imported == 5
    db.session.commit()
    again = run(wave, csv_file(rows, list(reversed(columns))))
    assert (again.imported, again.already) == (0, 5)
    rounded = [{**row, "weight": "9.4"} for row in rows]
    assert (run(wave, csv_file(rounded)).already, stored_count(wave)) == (5, 5)


def test_rows_stored_under_the_former_derived_id_count_as_imported(
    wave, questionnaire, monkeypatch
):
    """Rows imported before 6 December 2026 without a response_id got an id from
    every cell in file order: the same file is still recognised."""
    import uuid

    from sipas.services.responses import rows as rows_module

    def as_before(self, cells):  # the formula of the code of that time
        content = tuple(rows_module.clean(cell) for cell in cells)
        seen = self.__dict__.setdefault("seen_before", {})
        occurrence = seen[content] = seen.get(content, -1) + 1
        name = "\x1f".join((self.context.wave_code, *content, str(occurrence)))
        return uuid.uuid5(rows_module.ROW_NAMESPACE, name)

    monkeypatch.setattr(rows_module._RowChecker, "_derived_uuid", as_before)
    alike = make_row(questionnaire, response_id="")
    data = csv_file([alike, alike, make_row(questionnaire, response_id="")])
    assert run(wave, data).imported == 3  # as the former code stored them
    db.session.commit()
    monkeypatch.undo()
    again = run(wave, data)
    assert (again.imported, again.already, stored_count(wave)) == (0, 3, 3)
