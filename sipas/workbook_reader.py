"""Uploaded workbooks (.xlsx) read within bounds that do not trust the file.

openpyxl pads every row to the sheet's declared ``<dimension>``: a 12 KB sheet that
declares ``A1:XFD1048576`` costs hundreds of megabytes (issue 18 item 5). So the
first sheet is first walked as a stream — constant memory, each row dropped once
counted — and refused when its unpacked size, rows, columns or padded area pass the
limits; only then does openpyxl read it, told the real last row and column (never
the declared ones). Rows come back without their trailing empty cells.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import ParseError, XMLPullParser

from flask_babel import lazy_gettext as _l
from openpyxl.utils.cell import column_index_from_string

#: Total unpacked size of a workbook's parts.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: Unpacked size of the shared strings, which openpyxl keeps whole in memory.
MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024
#: Rows of the first sheet (its last row number, gaps included).
MAX_ROWS = 200_000
#: Columns of the first sheet (its last column with a cell).
MAX_COLUMNS = 1_000
#: Last row × last column: the cells openpyxl would make.
MAX_CELLS = 5_000_000
#: Bytes read from the sheet per step of the streamed walk.
_CHUNK = 64 * 1024


class WorkbookRefused(ValueError):
    """The workbook cannot be read, or is larger than the limits; the message says
    which, for people."""


@dataclass(frozen=True)
class SheetSize:
    """What the streamed walk found: the last row and column holding a cell."""

    rows: int
    columns: int


def read_first_sheet(data: bytes) -> list[tuple[object, ...]]:
    """The rows of the first sheet of the workbook in ``data``, bounded."""
    return list(_bounded_rows(data, active=False))


def read_active_sheet(data: bytes) -> list[tuple[object, ...]]:
    """The rows of the active sheet (the one shown on opening), bounded."""
    return list(_bounded_rows(data, active=True))


def _bounded_rows(data: bytes, active: bool) -> Iterator[tuple[object, ...]]:
    _check_archive(data)
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it ignores
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - untrusted bytes break openpyxl many ways
        raise WorkbookRefused(_l("The XLSX file cannot be read.")) from error
    try:
        sheets: list[Any] = book.worksheets
        sheet: Any = book.active if active else (sheets[0] if sheets else None)
        if sheet is None:  # a workbook without a worksheet
            return
        size = measure(sheet._get_source)
        if size.rows == 0:
            return
        rows = sheet.iter_rows(
            min_row=1, max_row=size.rows, max_col=size.columns, values_only=True
        )
        for row in _unbroken(rows):
            yield _trimmed(row)
    finally:
        book.close()


def _unbroken(rows: Iterator[Any]) -> Iterator[tuple[object, ...]]:
    """``rows``, with whatever openpyxl raises on bad cells as a refusal."""
    try:
        yield from rows
    except Exception as error:  # noqa: BLE001 - untrusted bytes break openpyxl many ways
        raise WorkbookRefused(_l("The XLSX file cannot be read.")) from error


def _trimmed(row: tuple[object, ...]) -> tuple[object, ...]:
    """``row`` without its trailing empty cells (padding costs no memory)."""
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end] if end < len(row) else row


def _check_archive(data: bytes) -> None:
    """Refuse a file that is no zip, or unpacks past the limits (as declared;
    zipfile stops at the declared size when reading)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise WorkbookRefused(_l("The XLSX file cannot be read.")) from error
    total = sum(member.file_size for member in members)
    shared = sum(
        member.file_size
        for member in members
        if member.filename.lower().endswith("sharedstrings.xml")
    )
    if total > MAX_UNPACKED_BYTES or shared > MAX_SHARED_STRINGS_BYTES:
        raise WorkbookRefused(
            _l(
                "The XLSX file unpacks to more than %(limit)d MB: "
                "split it into smaller files.",
                limit=MAX_UNPACKED_BYTES // (1024 * 1024),
            )
        )


def measure(open_source: Any) -> SheetSize:
    """Walk a sheet's XML as a stream and refuse it past the limits.

    :param open_source: returns the sheet's XML as a binary file (closed here).
    """
    walk = _Walk()
    try:
        with open_source() as source:
            walk.feed_all(source)
    except ParseError as error:
        raise WorkbookRefused(_l("The XLSX file cannot be read.")) from error
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        if isinstance(error, WorkbookRefused):
            raise
        raise WorkbookRefused(_l("The XLSX file cannot be read.")) from error
    return SheetSize(walk.last_row, walk.last_column)


class _Walk:
    """Counts rows and columns of a sheet's XML, one row in memory at a time."""

    def __init__(self) -> None:
        self.parser: Any = XMLPullParser(events=("start", "end"))
        self.last_row = 0
        self.last_column = 0
        self.cells = 0
        self.sheet_data: Any = None

    def feed_all(self, source: IO[bytes]) -> None:
        while chunk := source.read(_CHUNK):
            self.parser.feed(chunk)
            self._events()
        self.parser.close()
        self._events()

    def _events(self) -> None:
        for event, element in self.parser.read_events():
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                if tag == "sheetData":
                    self.sheet_data = element
            elif tag == "row":
                self._row(element)
                if self.sheet_data is not None:
                    self.sheet_data.clear()  # the row is counted: forget it

    def _row(self, row: Any) -> None:
        number = _number(row.get("r"), self.last_row + 1)
        column = filled = 0
        for cell in row:
            column = _column(cell.get("r"), column + 1)
            if len(cell):  # a value, inline text or formula: not a styled blank
                filled = column
        self.cells += len(row)
        if filled:
            self.last_row = number
            self.last_column = max(self.last_column, filled)
        self._check()

    def _check(self) -> None:
        if self.last_row > MAX_ROWS:
            raise WorkbookRefused(_l("The sheet has more than %(n)d rows.", n=MAX_ROWS))
        if self.last_column > MAX_COLUMNS:
            raise WorkbookRefused(
                _l("The sheet has more than %(n)d columns.", n=MAX_COLUMNS)
            )
        if max(self.cells, self.last_row * self.last_column) > MAX_CELLS:
            raise WorkbookRefused(
                _l(
                    "The sheet spans more than %(n)d cells: remove the empty rows "
                    "and columns, or split it into smaller files.",
                    n=MAX_CELLS,
                )
            )


def _number(text: str | None, default: int) -> int:
    """A row's number from its ``r`` attribute (its place when there is none)."""
    if text is None:
        return default
    try:
        return int(text)
    except ValueError as error:
        raise WorkbookRefused(_l("The XLSX file cannot be read.")) from error


def _column(reference: str | None, default: int) -> int:
    """A cell's column from its ``r`` attribute such as ``XFD7``."""
    if reference is None:
        return default
    letters = reference.rstrip("0123456789")
    try:
        return column_index_from_string(letters)
    except ValueError as error:
        raise WorkbookRefused(_l("The XLSX file cannot be read.")) from error
