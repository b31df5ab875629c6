"""Open an XLSForm-style workbook and read its sheets as located rows.

Everything wrong is collected as a :class:`SheetProblem` at its sheet, row and column
(a message id with parameters, so the web layer can say it in Vietnamese). Checked
here, before any meaning is read: the size (before parsing), that the bytes are an
``.xlsx`` workbook, formula cells and merged cells.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sipas.questionnaire.sheet_bounds import (
    SheetLimits,
    SheetTooLarge,
    UnreadableSheet,
    column_letters,
    measure,
)
from sipas.questionnaire.xlsform_relevant import N_

if TYPE_CHECKING:  # openpyxl (0.15 s) is imported when a workbook is opened
    from openpyxl.worksheet.worksheet import Worksheet

#: Largest workbook accepted; checked on the bytes before openpyxl sees them.
MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
#: Largest unpacked content: a small zip can unpack to gigabytes of XML.
MAX_UNPACKED_BYTES = 10 * MAX_WORKBOOK_BYTES
#: Rows, columns and spanned cells of a sheet: a questionnaire has a few hundred
#: rows of a few dozen columns, and openpyxl makes a cell for every place spanned.
SHEET_LIMITS = SheetLimits(rows=10_000, columns=200, cells=500_000)
_MB = 1024 * 1024
#: What a sheet past :data:`SHEET_LIMITS` is told, by the limit it passed.
_TOO_LARGE = {
    "rows": N_("a sheet has more than %(limit)d rows; a questionnaire has fewer"),
    "columns": N_("a sheet has more than %(limit)d columns; a questionnaire has fewer"),
    "cells": N_("a sheet spans more than %(limit)d cells; remove its empty rows"),
}


@dataclass(frozen=True)
class SheetProblem:
    """One thing wrong with a workbook, at its sheet, row and column where known."""

    sheet: str | None
    row: int | None
    column: str | None  #: the column letter, as the spreadsheet shows it
    header: str | None  #: the column's heading in row 1, e.g. ``relevant``
    message: str  #: an English message id with %(name)s placeholders
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The message with its parameters filled in (English)."""
        return self.message % dict(self.params)

    def __str__(self) -> str:
        where = ""
        if self.sheet is not None:
            cell = f"{self.column or ''}{self.row or ''}"
            where = f"{self.sheet}!{cell}: " if cell else f"{self.sheet}: "
        return where + self.text


@dataclass(frozen=True)
class Cell:
    """Where a value came from."""

    sheet: str
    row: int
    column: str
    header: str


@dataclass
class Row:
    """One non-empty row under the headings: values and cells by heading."""

    sheet: str
    number: int
    values: dict[str, Any]
    cells: dict[str, Cell]
    first: Cell
    letters: dict[str, str]  #: column letter of each heading of the sheet

    def text(self, header: str) -> str:
        """The cell under ``header`` as stripped text ('' when empty)."""
        return as_text(self.values.get(header))

    def cell(self, header: str) -> Cell:
        """The cell under ``header`` (even empty), else the row's first cell."""
        if header in self.cells:
            return self.cells[header]
        if header in self.letters:
            return Cell(self.sheet, self.number, self.letters[header], header)
        return self.first


@dataclass
class Sheet:
    """A worksheet's headings (by name → cell) and its non-empty rows."""

    name: str
    headers: dict[str, Cell]
    rows: list[Row]


def as_text(value: Any) -> str:
    """A cell value as text: numbers without a trailing ``.0``, None as ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def sheet_problem(sheet: str | None, message: str, /, **params: object) -> SheetProblem:
    """A problem with a whole sheet (or, with ``sheet`` None, the whole file)."""
    return SheetProblem(sheet, None, None, None, message, params)


def problem(cell: Cell | None, message: str, /, **params: object) -> SheetProblem:
    """A problem at ``cell`` (None: the whole file)."""
    if cell is None:
        return sheet_problem(None, message, **params)
    return SheetProblem(cell.sheet, cell.row, cell.column, cell.header, message, params)


def open_workbook(data: bytes, problems: list[SheetProblem]) -> Any | None:
    """The openpyxl workbook in ``data``, or None with the reason in ``problems``."""
    if len(data) > MAX_WORKBOOK_BYTES:
        problems.append(
            problem(
                None,
                N_("the file is %(size)d MB; at most %(limit)d MB is accepted"),
                size=-(-len(data) // _MB),
                limit=MAX_WORKBOOK_BYTES // _MB,
            )
        )
        return None
    if _unpacked_size(data) > MAX_UNPACKED_BYTES:
        problems.append(
            problem(
                None,
                N_("the workbook unpacks to more than %(limit)d MB"),
                limit=MAX_UNPACKED_BYTES // _MB,
            )
        )
        return None
    too_large = _sheet_too_large(data)
    if too_large is not None:
        message = _TOO_LARGE[too_large.kind]
        problems.append(problem(None, message, limit=too_large.limit))
        return None
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # Excel and Google Sheets write extensions openpyxl warns it drops
            warnings.simplefilter("ignore")
            # not read_only: merged ranges are only known to ordinary worksheets
            return load_workbook(io.BytesIO(data), data_only=False)
    except Exception:  # noqa: BLE001 - untrusted bytes break openpyxl in many ways
        problems.append(problem(None, N_("the file is not an Excel workbook (.xlsx)")))
        return None


def _sheet_too_large(data: bytes) -> SheetTooLarge | None:
    """The first worksheet past :data:`SHEET_LIMITS` (ordinary openpyxl makes a cell
    for every place up to the last cell), walked as a stream; None when all fit or
    the file is unreadable (said when openpyxl opens it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    with archive.open(name) as source:
                        measure(source, SHEET_LIMITS)
    except SheetTooLarge as error:
        return error
    except (UnreadableSheet, zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    return None


def _unpacked_size(data: bytes) -> int:
    """Total size of the zip's members as declared (0 if it is no zip: said later)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        return 0


def read_sheet(worksheet: Worksheet, problems: list[SheetProblem]) -> Sheet:
    """Headings and non-empty rows of ``worksheet``; formulas and merges refused."""
    name = worksheet.title
    for merged in worksheet.merged_cells.ranges:
        letter = merged.coord.split(":")[0].rstrip("0123456789")
        cell = Cell(name, merged.min_row, letter, "")
        problems.append(
            problem(
                cell,
                N_("merged cells %(range)s: unmerge them and fill in every cell"),
                range=merged.coord,
            )
        )
    headers: dict[str, Cell] = {}
    rows: list[Row] = []
    letters: dict[int, str] = {}
    for number, row in enumerate(worksheet.iter_rows(), start=1):
        values: dict[str, Any] = {}
        cells: dict[str, Cell] = {}
        for index, sheet_cell in enumerate(row, start=1):
            value: Any = sheet_cell.value
            if value is None:
                continue
            letter = column_letters(index)
            if sheet_cell.data_type == "f":
                problems.append(
                    problem(
                        Cell(name, number, letter, letters.get(index, "")),
                        N_("formula %(formula)s: type the value itself"),
                        formula=str(value),
                    )
                )
            elif number == 1:
                heading = as_text(value).lower()
                headers[heading] = Cell(name, 1, letter, heading)
                letters[index] = heading
            elif letters.get(index) and as_text(value):
                values[letters[index]] = value
                cells[letters[index]] = Cell(name, number, letter, letters[index])
        if values:
            first = Cell(name, number, "A", letters.get(1, ""))
            by_heading = {h: column_letters(i) for i, h in letters.items()}
            rows.append(Row(name, number, values, cells, first, by_heading))
    return Sheet(name, headers, rows)
