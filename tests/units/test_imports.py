"""Unit files: reading, row checks, the plan against stored units, and the import."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from sipas.extensions import db
from sipas.models import AuditEvent, Unit, UnitLevel
from sipas.services.units import admin as unit_service
from sipas.services.units import imports as unit_files
from sipas.services.units.lookup import unit_by_code
from sipas.services.units.rows import FileError, UnitRecord, plan_import, read_table
from sipas.services.units.rules import fold, highlight, parse_date, parse_level

HEADER = "code,name,level,parent_code,valid_from,valid_to,successor_code\n"


def _csv(body: str, header: str = HEADER) -> bytes:
    return (header + body).encode("utf-8")


def _plan(body: str, stored: dict[str, UnitRecord] | None = None):
    return plan_import(read_table("units.csv", _csv(body)), stored or {})


def _problems(plan) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in plan.errors]


# --- pure helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Hạ Long", "ha long"), ("ĐÔNG Triều", "dong trieu"), ("Uông Bí", "uong bi")],
)
def test_fold_drops_diacritics_and_case(text, folded):
    assert fold(text) == folded


def test_highlight_marks_the_original_letters_of_a_match():
    assert highlight("Phường Hạ Long", "ha long") == [
        ("Phường ", False),
        ("Hạ Long", True),
    ]
    assert highlight("Đông Đông", "dong") == [
        ("Đông", True),
        (" ", False),
        ("Đông", True),
    ]
    assert highlight("Cẩm Phả", "xyz") == [("Cẩm Phả", False)]


@pytest.mark.parametrize(
    ("word", "level"),
    [
        ("province", UnitLevel.province),
        ("Tỉnh", UnitLevel.province),
        ("huyện", UnitLevel.district),
        ("XÃ", UnitLevel.commune),
        ("trung  tâm", UnitLevel.centre),
        ("centre", UnitLevel.centre),
        ("village", None),
    ],
)
def test_levels_are_read_as_enum_values_or_vietnamese_words(word, level):
    assert parse_level(word) is level


def test_dates_are_read_in_both_formats():
    assert parse_date("2025-07-01") == date(2025, 7, 1)
    assert parse_date("01/07/2025") == date(2025, 7, 1)
    assert parse_date("") is None
    with pytest.raises(ValueError, match="2025.07.01"):
        parse_date("2025.07.01")


# --- reading files ------------------------------------------------------------------


def test_csv_with_bom_semicolons_and_upper_case_header_is_read():
    data = "\ufeffCODE;Name;Level;Parent_Code\nQN;Tỉnh Quảng Ninh;tỉnh;\n".encode()
    table = read_table("Units.CSV", data)
    assert table.columns == ("code", "name", "level", "parent_code")
    assert table.rows == ((2, ("QN", "Tỉnh Quảng Ninh", "tỉnh", "")),)


def test_row_numbers_are_those_of_the_file_despite_blank_lines():
    table = read_table("u.csv", _csv("A,Tỉnh A,province,\n\nB,Tỉnh B,province,\n"))
    assert [number for number, _ in table.rows] == [2, 4]


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("units.txt", b"code,name,level,parent_code\n"),
        ("units.csv", "code,name,level,parent_code\nQN,T\xe1".encode("latin-1")),
        ("units.csv", b"code,name\nQN,Q\n"),
        ("units.csv", b""),
        ("units.xlsx", b"not a zip"),
    ],
)
def test_unreadable_files_are_refused_whole(filename, data):
    with pytest.raises(FileError):
        read_table(filename, data)


# --- the plan -----------------------------------------------------------------------


def test_parents_and_successors_may_come_later_in_the_file():
    plan = _plan(
        "K1,Trung tâm 1,centre,C1,,2025-06-30,K2\n"
        "K2,Trung tâm 2,centre,C1,,,\n"
        "C1,Xã Một,xã,P,,,\n"
        "P,Tỉnh,tỉnh,,,,\n"
    )
    assert plan.errors == ()
    assert [r.code for r in plan.records] == ["K1", "K2", "C1", "P"]
    assert plan.records[0].successor_code == "K2"


def test_every_wrong_row_is_reported_with_its_column():
    plan = _plan(
        "P,Tỉnh,province,,,,\n"  # row 2: fine
        "bad code!,Xã,commune,P,,,\n"  # row 3
        "C2,,village,P,,,\n"  # row 4: no name, unknown level
        "C3,Xã Ba,commune,P,2025-02-30,,\n"  # row 5: no such day
        "C4,Xã Bốn,commune,NOPE,2025-07-01,2025-01-01,\n"  # row 6: dates, parent
        "C5,Xã Năm,province,P,,,\n"  # row 7: level not below the parent
        "C6,Xã Sáu,commune,P,,,C3\n"  # row 8: successor without end date
        "P,Tỉnh lặp,province,,,,\n"  # row 9: code given twice
    )
    assert plan.records == ()
    assert _problems(plan) == [
        (3, "code"),
        (4, "name"),
        (4, "level"),
        (5, "valid_from"),
        (6, "parent_code"),
        (6, "valid_to"),
        (7, "level"),
        (8, "valid_to"),
        (9, "code"),
    ]


def test_rows_pointing_at_a_broken_row_are_not_blamed_for_it():
    plan = _plan("P,Tỉnh,planet,,,,\nC,Xã,commune,P,,,\n")
    assert _problems(plan) == [(2, "level")]


def test_cycles_of_parents_and_successors_are_refused():
    plan = _plan(
        "A,Xã A,commune,B,,,\n"
        "B,Xã B,commune,A,,,\n"
        "X,Xã X,commune,,,2025-01-01,Y\n"
        "Y,Xã Y,commune,,,2025-01-01,X\n"
    )
    columns = {(row, column) for row, column in _problems(plan)}
    assert (4, "successor_code") in columns
    assert (5, "successor_code") in columns
    assert {2, 3} & {
        row for row, column in columns if column in {"level", "parent_code"}
    }


def test_a_self_successor_is_refused():
    plan = _plan("A,Xã A,commune,,,2025-01-01,A\n")
    assert _problems(plan) == [(2, "successor_code")]


def test_a_stored_child_must_stay_below_its_changed_parent():
    stored = {
        "P": UnitRecord("P", "Tỉnh", UnitLevel.province),
        "C": UnitRecord("C", "Xã", UnitLevel.commune, parent_code="P"),
    }
    plan = _plan("P,Trung tâm,centre,,,,\n", stored)
    assert _problems(plan) == [(2, "level")]


def test_missing_optional_columns_keep_stored_values():
    stored = {
        "C": UnitRecord("C", "Xã", UnitLevel.commune, valid_from=date(2025, 7, 1)),
    }
    table = read_table("u.csv", b"code,name,level,parent_code\nC,X\xc3\xa3 C,xa,\n")
    plan = plan_import(table, stored)
    assert plan.records[0].name == "Xã C"
    assert plan.records[0].valid_from == date(2025, 7, 1)


# --- the import against the database ------------------------------------------------


def _units() -> dict[str, tuple]:
    return {
        u.code: (u.name, u.level, u.parent.code if u.parent else None, u.valid_to)
        for u in db.session.scalars(sa.select(Unit))
    }


def test_a_good_csv_creates_and_updates_units(demo_app):
    data = _csv(
        "QN-HALONG,Phường Hạ Long (mới),commune,QN,2025-07-01,,\n"
        "QN-DONGTRIEU,Phường Đông Triều,phường,QN,01/07/2025,,\n"
        "QN-DONGTRIEU-TT,Trung tâm phường Đông Triều,trung tâm,QN-DONGTRIEU,,,\n"
    )
    report = unit_files.import_units("units.csv", data, None)
    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (2, 1, 0)
    units = _units()
    assert units["QN-HALONG"][0] == "Phường Hạ Long (mới)"
    assert units["QN-DONGTRIEU-TT"][2] == "QN-DONGTRIEU"
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="unit.import"))
    assert event.details == {
        "file": "units.csv",
        "created": 2,
        "updated": 1,
        "unchanged": 0,
    }


def test_a_good_xlsx_is_imported(demo_app):
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "Code",
            "Name",
            "Level",
            "Parent_code",
            "Valid_from",
            "Valid_to",
            "Successor_code",
        ]
    )
    sheet.append(["QN-MOI", "Phường Mới", "xã", "QN", date(2025, 7, 1), None, None])
    sheet.append(
        ["QN-CU", "Phường Cũ", "commune", "QN", None, date(2025, 6, 30), "QN-MOI"]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    report = unit_files.import_units("Đơn vị.xlsx", buffer.getvalue(), None)
    assert report.ok, report.errors
    assert report.created == 2
    old = unit_by_code("QN-CU")
    assert old.successor.code == "QN-MOI"
    assert old.valid_to == date(2025, 6, 30)


def test_a_file_with_wrong_rows_changes_nothing(demo_app):
    before = _units()
    data = _csv(
        "QN-HALONG,Phường Hạ Long (đổi tên),commune,QN,,,\n"  # fine on its own
        "QN-NEW,Xã mới,commune,QN,,,\n"  # fine on its own
        "QN-X,Xã X,hamlet,QN,,,\n"  # row 4: level
        "QN-Y,Xã Y,commune,QN-MISSING,,,\n"  # row 5: parent
    )
    report = unit_files.import_units("units.csv", data, None)
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [
        (4, "level"),
        (5, "parent_code"),
    ]
    db.session.rollback()
    assert _units() == before
    imports = sa.select(AuditEvent).filter_by(action="unit.import")
    assert db.session.scalar(imports) is None


def test_export_then_import_changes_nothing(demo_app):
    halong = unit_by_code("QN-HALONG")
    campha = unit_by_code("QN-CAMPHA")
    unit_service.merge_unit(campha, "QN-HALONG", date(2025, 12, 31), None)
    assert campha.successor is halong
    before, exported = _units(), unit_files.export_csv()
    assert exported.startswith("\ufeff".encode())
    report = unit_files.import_units("units.csv", exported, None)
    assert report.ok
    assert (report.created, report.updated) == (0, 0)
    assert report.unchanged == len(before)
    assert _units() == before
    assert unit_files.export_csv() == exported


def test_the_template_is_itself_a_valid_import(app):
    report = unit_files.import_units("t.csv", unit_files.template_csv(), None)
    assert report.ok
    assert report.created == len(unit_files.TEMPLATE_ROWS)


def test_files_over_5_mb_are_refused(app):
    data = _csv("A,B,province,,,,\n" * (5 * 1024 * 1024 // 16 + 1))
    report = unit_files.import_units("big.csv", data, None)
    assert report.file_error is not None
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 0
