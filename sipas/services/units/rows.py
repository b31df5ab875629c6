"""Unit files (CSV/XLSX) read and checked without the database.

A file holds one unit per row: ``code,name,level,parent_code[,valid_from,valid_to,
successor_code]``. `read_table` turns the bytes into text rows, `parse_rows` checks each
row on its own, and `check_plan` checks the rows against each other and against the
units already stored (given as plain records), so every rule is testable without an app.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from flask_babel import lazy_gettext as _l

from sipas.models.units import UnitLevel
from sipas.services.units.rules import (
    NAME_MAX,
    clean,
    code_error,
    dates_error,
    level_allows,
    parse_date,
    parse_level,
)
from sipas.spreadsheets import QUOTE, from_csv_cell
from sipas.workbook_reader import WorkbookRefused, read_first_sheet

#: Columns every file must have, then the optional ones, in export order.
REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")
OPTIONAL_COLUMNS = ("valid_from", "valid_to", "successor_code")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


@dataclass(frozen=True)
class RowError:
    """One problem in a file: the row as the user numbers it, the column, why."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class UnitRecord:
    """One unit as a file row states it (or as it is stored)."""

    code: str
    name: str
    level: UnitLevel
    parent_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    successor_code: str | None = None
    #: Row number in the file; 0 for a unit already stored.
    row: int = 0


@dataclass(frozen=True)
class Table:
    """The rows of a file: the header (lower case) and (row number, cells) pairs."""

    columns: tuple[str, ...]
    rows: tuple[tuple[int, tuple[object, ...]], ...]


class FileError(Exception):
    """The file as a whole cannot be read (wrong type, encoding, header)."""


def read_table(filename: str, data: bytes) -> Table:
    """The header and rows of a CSV (UTF-8, comma or semicolon) or XLSX file."""
    return _table(read_records(filename, data))


def read_records(filename: str, data: bytes) -> list[tuple[int, tuple[object, ...]]]:
    """The non-empty rows of a CSV (UTF-8, comma or semicolon) or XLSX file (its
    first sheet), each with its number as the user sees it."""
    name = filename.lower()
    if name.endswith(".csv"):
        records = _read_csv(data)
    elif name.endswith(".xlsx"):
        records = _read_xlsx(data)
    else:
        raise FileError(_l("Only CSV and XLSX files can be imported."))
    return [(n, cells) for n, cells in records if any(clean(c) for c in cells)]


def _read_csv(data: bytes) -> list[tuple[int, tuple[object, ...]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(_l("The CSV file is not in UTF-8.")) from error
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, tuple[object, ...]]] = []
    # no cell is too long to read (csv's own limit is 131 072 characters): the
    # checks then say which cell is too long, by row and column
    limit = csv.field_size_limit(max(len(text), csv.field_size_limit()))
    try:
        # rows numbered as a spreadsheet shows them: a cell with line breaks is
        # one row, however many lines of text it takes
        for row, cells in enumerate(reader, start=1):
            if QUOTE in "".join(cells):  # a cell may carry the quote csv_cell added
                records.append((row, tuple(from_csv_cell(c) for c in cells)))
            else:
                records.append((row, tuple(cells)))
    except csv.Error as error:
        raise FileError(
            _l("The CSV file cannot be read: %(e)s", e=str(error))
        ) from error
    finally:
        csv.field_size_limit(limit)
    return records


def _read_xlsx(data: bytes) -> list[tuple[int, tuple[object, ...]]]:
    try:
        rows = read_first_sheet(data)
    except WorkbookRefused as error:
        raise FileError(error.args[0]) from error
    return list(enumerate(rows, start=1))


def _table(filled: list[tuple[int, tuple[object, ...]]]) -> Table:
    if not filled:
        raise FileError(_l("The file is empty."))
    header = tuple(clean(cell).lower() for cell in filled[0][1])
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise FileError(
            _l(
                "The header must hold the columns %(columns)s; missing: %(missing)s.",
                columns=",".join(COLUMNS),
                missing=", ".join(missing),
            )
        )
    return Table(columns=header, rows=tuple(filled[1:]))


def parse_rows(table: Table) -> tuple[list[UnitRecord], list[RowError]]:
    """Each row as a record, checked on its own; problems per row and column."""
    records: list[UnitRecord] = []
    errors: list[RowError] = []
    for number, cells in table.rows:
        values = {
            column: cells[i] if i < len(cells) else None
            for i, column in enumerate(table.columns)
        }
        record, row_errors = _parse_row(number, values)
        errors.extend(row_errors)
        if record is not None:
            records.append(record)
    return records, errors


def _parse_row(
    number: int, values: dict[str, object]
) -> tuple[UnitRecord | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    code, name = clean(values.get("code")), clean(values.get("name"))
    if problem := code_error(code):
        fail("code", problem)
    if not name:
        fail("name", _l("Enter a name."))
    elif len(name) > NAME_MAX:
        fail("name", _l("A name has at most %(n)s characters.", n=NAME_MAX))
    level = parse_level(clean(values.get("level")))
    if level is None:
        fail("level", _l("Unknown level: use province, district, commune or centre."))
    dates: dict[str, date | None] = {}
    for column in ("valid_from", "valid_to"):
        try:
            dates[column] = parse_date(values.get(column))
        except ValueError:
            fail(column, _l("Write the date as YYYY-MM-DD or dd/mm/yyyy."))
    if problem := dates_error(dates.get("valid_from"), dates.get("valid_to")):
        fail("valid_to", problem)
    successor = clean(values.get("successor_code")) or None
    if successor and successor == code:
        fail("successor_code", _l("A unit cannot be its own successor."))
    elif successor and "valid_to" in dates and dates["valid_to"] is None:
        fail("valid_to", _l("A merged unit needs the date it ended."))
    if level is None or any(e.column in ("code", "name") for e in errors):
        return None, errors  # too broken to check against the other rows
    record = UnitRecord(
        code=code,
        name=name,
        level=level,
        parent_code=clean(values.get("parent_code")) or None,
        valid_from=dates.get("valid_from"),
        valid_to=dates.get("valid_to"),
        successor_code=successor,
        row=number,
    )
    return record, errors


def merge_records(
    stored: Mapping[str, UnitRecord],
    rows: Iterable[UnitRecord],
    columns: Iterable[str],
) -> tuple[dict[str, UnitRecord], list[RowError]]:
    """The units as they will be after the import, and each code given twice.

    A column missing from the file leaves that field of a stored unit unchanged.
    """
    present = set(columns)
    planned = dict(stored)
    seen: dict[str, int] = {}
    errors: list[RowError] = []
    for record in rows:
        if record.code in seen:
            errors.append(
                RowError(
                    record.row,
                    "code",
                    _l(
                        "The code %(code)s is already on row %(row)s.",
                        code=record.code,
                        row=seen[record.code],
                    ),
                )
            )
            continue
        seen[record.code] = record.row
        old = stored.get(record.code)
        if old is not None:
            kept = {f: getattr(old, f) for f in OPTIONAL_COLUMNS if f not in present}
            record = replace(record, **kept)
        planned[record.code] = record
    return planned, errors


@dataclass(frozen=True)
class ImportPlan:
    """What a file would change: its units in file order, or why it cannot."""

    records: tuple[UnitRecord, ...]
    errors: tuple[RowError, ...]


def plan_import(table: Table, stored: Mapping[str, UnitRecord]) -> ImportPlan:
    """Every problem of ``table`` against the ``stored`` units (by code), or the
    records to write when there is none."""
    records, errors = parse_rows(table)
    planned, duplicates = merge_records(stored, records, table.columns)
    errors.extend(duplicates)
    file_codes = [r.code for r in records if planned[r.code].row == r.row]
    broken = _codes_of_broken_rows(table, records)
    errors.extend(check_plan(planned, file_codes, unknown_ok=broken))
    order = {column: i for i, column in enumerate(COLUMNS)}
    errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
    if errors:
        return ImportPlan(records=(), errors=tuple(errors))
    return ImportPlan(records=tuple(planned[c] for c in file_codes), errors=())


def _codes_of_broken_rows(table: Table, records: list[UnitRecord]) -> set[str]:
    """Codes written on rows that failed, so rows pointing at them are not blamed."""
    good_rows = {r.row for r in records}
    position = table.columns.index("code")
    return {
        clean(cells[position])
        for number, cells in table.rows
        if number not in good_rows and position < len(cells)
    }


def check_plan(
    planned: Mapping[str, UnitRecord],
    file_codes: Iterable[str],
    unknown_ok: set[str] | frozenset[str] = frozenset(),
) -> list[RowError]:
    """Problems between units: unknown parents or successors, levels, cycles.

    References to a code in ``unknown_ok`` (a row that already failed) pass.
    """
    codes = set(file_codes)
    errors: list[RowError] = []
    for code in sorted(codes, key=lambda c: planned[c].row):
        errors.extend(_check_links(planned, planned[code], unknown_ok))
    errors.extend(_check_children(planned, codes))
    return errors


def _check_links(
    planned: Mapping[str, UnitRecord], record: UnitRecord, unknown_ok: Iterable[str]
) -> list[RowError]:
    """The record's parent and successor exist, fit, and lead to no cycle."""
    found = (
        _parent_problem(planned, record, unknown_ok),
        _successor_problem(planned, record, unknown_ok),
    )
    return [RowError(record.row, *problem) for problem in found if problem]


def _parent_problem(
    planned: Mapping[str, UnitRecord], record: UnitRecord, unknown_ok: Iterable[str]
) -> tuple[str, str] | None:
    code = record.parent_code
    if not code or (code in unknown_ok and code not in planned):
        return None  # a top-level unit, or a parent whose own row already failed
    parent = planned.get(code)
    if parent is None:
        return "parent_code", _l("No unit has the code %(code)s.", code=code)
    if not level_allows(record.level, parent.level):
        return "level", _l(
            "The level must be below that of the parent unit %(code)s.", code=code
        )
    if _loops(planned, record.code, "parent_code"):
        return "parent_code", _l(
            "A unit cannot sit below itself or one of its own units."
        )
    return None


def _successor_problem(
    planned: Mapping[str, UnitRecord], record: UnitRecord, unknown_ok: Iterable[str]
) -> tuple[str, str] | None:
    code = record.successor_code
    if not code or code == record.code or (code in unknown_ok and code not in planned):
        return None  # none, reported on this row already, or on the row defining it
    if code not in planned:
        return "successor_code", _l("No unit has the code %(code)s.", code=code)
    if _loops(planned, record.code, "successor_code"):
        return "successor_code", _l("These successors lead back to the unit itself.")
    return None


def _loops(planned: Mapping[str, UnitRecord], start: str, link: str) -> bool:
    """True if following ``link`` from ``start`` comes back to ``start``."""
    seen = {start}
    code = getattr(planned[start], link)
    while code and code in planned:
        if code in seen:
            return code == start
        seen.add(code)
        code = getattr(planned[code], link)
    return False


def _check_children(
    planned: Mapping[str, UnitRecord], file_codes: set[str]
) -> list[RowError]:
    """Stored units left in the tree must still sit below their (changed) parent."""
    errors: list[RowError] = []
    for child in planned.values():
        if child.code in file_codes or child.parent_code not in file_codes:
            continue
        parent = planned[child.parent_code]
        if not level_allows(child.level, parent.level):
            errors.append(
                RowError(
                    parent.row,
                    "level",
                    _l(
                        "The unit %(child)s below it must stay at a lower level.",
                        child=child.code,
                    ),
                )
            )
    return errors
