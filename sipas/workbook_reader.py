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
import re
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from flask_babel import lazy_gettext as _l

from sipas.questionnaire import sheet_bounds
from sipas.questionnaire.sheet_bounds import (
    SheetLimits,
    SheetSize,
    SheetTooLarge,
    UnreadableSheet,
)

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
LIMITS = SheetLimits(MAX_ROWS, MAX_COLUMNS, MAX_CELLS)


class WorkbookRefused(ValueError):
    """The workbook cannot be read, or is larger than the limits; the message says
    which, for people."""


def read_first_sheet(data: bytes) -> list[tuple[object, ...]]:
    """The rows of the first sheet of the workbook in ``data``, bounded."""
    return list(_bounded_rows(data, active=False))


def read_active_sheet(data: bytes) -> list[tuple[object, ...]]:
    """The rows of the active sheet (the one shown on opening), bounded."""
    return list(_bounded_rows(data, active=True))


#: ``<dimension ref="A1:Z120"/>`` near the start of a sheet's XML: its last row.
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*\d*:?[A-Z]*(\d+)\"")
#: Fewest bytes of sheet XML a row of answers takes (``<c r="B7"><v>5</v></c>`` is
#: 22 bytes a cell): an unpacked size over this is more rows than the sheet holds.
ROW_XML_BYTES = 200


def declared_rows(data: bytes) -> int:
    """The rows of a workbook's largest sheet, told without unpacking it: the last
    row its ``<dimension>`` declares (in the first bytes of the sheet's XML), or,
    without one (openpyxl's write-only mode), its unpacked size over
    ROW_XML_BYTES. Untrusted: 0 for a file that is no workbook (the reader refuses
    it); only decides whether reading the file waits for a worker."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = [
                member
                for member in archive.infolist()
                if member.filename.startswith("xl/worksheets/")
                and member.filename.endswith(".xml")
            ]
            heads = [archive.open(member).read(4096) for member in sheets]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return 0
    rows = [
        int(found[1])
        if (found := _DIMENSION.search(head))
        else sheet.file_size // ROW_XML_BYTES
        for sheet, head in zip(sheets, heads, strict=True)
    ]
    return max(rows, default=0)


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
    try:
        with open_source() as source:
            return sheet_bounds.measure(source, LIMITS)
    except SheetTooLarge as error:
        raise WorkbookRefused(_too_large(error)) from error
    except (UnreadableSheet, zipfile.BadZipFile, OSError, EOFError) as error:
        raise WorkbookRefused(_l("The XLSX file cannot be read.")) from error


def _too_large(error: SheetTooLarge) -> str:
    if error.kind == "rows":
        return _l("The sheet has more than %(n)d rows.", n=error.limit)
    if error.kind == "columns":
        return _l("The sheet has more than %(n)d columns.", n=error.limit)
    return _l(
        "The sheet spans more than %(n)d cells: remove the empty rows "
        "and columns, or split it into smaller files.",
        n=error.limit,
    )
