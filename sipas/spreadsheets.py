"""Cells of the spreadsheet files the app writes (CSV, XLSX), kept from becoming
formulas ("CSV injection", OWASP), and read back as they were written.

A citizen's comment such as ``=HYPERLINK("http://x","y")`` would otherwise run as a
formula in the analyst's Excel. The rule, one for every file: text that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and is not a plain number
such as ``-5``, gets a leading ``'`` in a CSV cell (Excel shows the text without it)
and is a string-typed, quote-prefixed cell in a workbook (shown as written, never
evaluated). Text already starting with quotes before such a character gets one more,
so that taking exactly one ``'`` off on import gives every text back.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import IO, TYPE_CHECKING, Any

from xlsxwriter.utility import (
    _preserve_whitespace,
    _utf16_len,
    _utf16_truncate,
    xl_col_to_name,
)
from xlsxwriter.xmlwriter import XMLwriter

if TYPE_CHECKING:  # openpyxl (0.15 s) is imported when a workbook is written
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

#: The characters a spreadsheet reads as the start of a formula, after any quotes.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
#: What such text starts with (checked first: most cells start with none of them).
_FIRST = frozenset("'=+-@\t\r")
#: A plain number, which a spreadsheet reads as that number (not neutralised).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
QUOTE = "'"
#: Text written in a cell as it is (no XML escaping, no space to preserve).
_PLAIN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{0,99}")


def could_be_formula(text: str) -> bool:
    """True when ``text`` must be neutralised: it starts (after any quotes) with a
    character that opens a formula, and is not a plain number."""
    return (
        text[:1] in _FIRST
        and _FORMULA_START.match(text) is not None
        and _NUMBER.fullmatch(text) is None
    )


def csv_cell(value: object) -> object:
    """``value`` for a CSV cell: text that could be a formula with a leading ``'``."""
    if isinstance(value, str):
        return csv_text(value)
    return value


def csv_text(text: str) -> str:
    """``text`` for a CSV cell, with a leading ``'`` if it could be a formula."""
    return QUOTE + text if could_be_formula(text) else text


def from_csv_cell(text: str) -> str:
    """The text :func:`csv_cell` was given: the one ``'`` it added taken off."""
    if text.startswith(QUOTE) and _FORMULA_START.match(text):
        return text[1:]
    return text


class CsvWriter:
    """``csv.writer`` whose text cells cannot become formulas (see :func:`csv_cell`)."""

    def __init__(self, out: IO[str], neutralised: bool = False, **options: Any) -> None:
        """``neutralised``: the rows' cells went through :func:`csv_cell` already
        (a writer of many rows that knows which columns can hold text)."""
        self._writer = csv.writer(out, **options)
        self._neutralised = neutralised

    def writerow(self, row: Iterable[object]) -> None:
        """Write one row, neutralised."""
        if self._neutralised:
            self._writer.writerow(row)
        else:
            self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write rows, neutralised."""
        if self._neutralised:
            self._writer.writerows(rows)
            return
        for row in rows:
            self.writerow(row)


def append_row(sheet: Worksheet | WriteOnlyWorksheet, row: Iterable[object]) -> None:
    """``sheet.append(row)``, with text (a value or a cell's) that could be a
    formula written as a string-typed, quote-prefixed cell."""
    sheet.append([_xlsx_value(sheet, value) for value in row])


def _xlsx_value(sheet: Worksheet | WriteOnlyWorksheet, value: object) -> object:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell

    text = value.value if isinstance(value, Cell) else value
    if not (isinstance(text, str) and could_be_formula(text)):
        return value
    cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl makes text starting with "=" a formula
    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


class StreamedSheet:
    """A worksheet of a :class:`StreamedWorkbook`, written row after row.

    Text is always written as text (never a formula, URL or number), and text that
    a person editing the cell could turn into a formula gets Excel's quote prefix.
    """

    def __init__(self, book: StreamedWorkbook, worksheet: Any) -> None:
        self._book = book
        self._sheet = worksheet
        self.rows = 0  #: rows written so far

    def widths(self, widths: Iterable[float]) -> None:
        """Column widths in characters, from the first column."""
        for column, width in enumerate(widths):
            self._sheet.set_column(column, column, width)

    def freeze(self, rows: int, columns: int = 0) -> None:
        """Keep the first ``rows`` rows and ``columns`` columns in view."""
        self._sheet.freeze_panes(rows, columns)

    def heading(self, texts: Iterable[str]) -> None:
        """A row of bold text."""
        self.write_row(texts, bold=True)

    def write_row(
        self,
        values: Iterable[object],
        formats: Sequence[Any] | None = None,
        bold: bool = False,
    ) -> None:
        """One row: text, numbers, datetimes; None or "" leaves the cell empty.
        ``formats`` (one per cell, or None) apply to numbers, e.g. percentages.

        The row's XML is made here as XlsxWriter's constant-memory mode makes it
        (the same bytes: tests/results/test_streamed_workbook.py), without its
        per-cell calls, which cost more than the rest of a large export."""
        sheet, row, book = self._sheet, self.rows, self._book
        number = str(row + 1)
        text_styles, style_of = book.text_styles[bold], book.style_attribute
        plain = book.known_attribute(text_styles[False])
        cells = []
        first = last = -1
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            where = f'<c r="{_column_name(column)}{number}"'
            if isinstance(value, str):
                if value[:1] in _FIRST and could_be_formula(value):
                    attribute = style_of(text_styles[True])
                else:
                    attribute = plain or style_of(text_styles[False])
                    plain = attribute
                cells.append(where + attribute + _inline_text(value))
            else:
                if isinstance(value, datetime):
                    value, style = sheet._convert_date_time(value), book.moment
                else:
                    style = formats[column] if formats else None
                cells.append(f"{where}{style_of(style)}><v>{value:.16G}</v></c>")
            first = column if first < 0 else first
            last = column
        self.rows += 1
        if first < 0:
            return
        sheet._check_dimensions(row, first)
        sheet._check_dimensions(row, last)
        if row > sheet.previous_row:
            sheet._write_single_row(row)  # anything written through XlsxWriter
        sheet.fh.write(f'<row r="{number}">{"".join(cells)}</row>')

    def write_columns(
        self, columns: Sequence[Sequence[object]], repeated: Sequence[bool]
    ) -> None:
        """Rows given column by column (each column a value per row, as in
        :meth:`write_row`; no formats, no bold).

        A column marked ``repeated`` holds few distinct values (option labels,
        unit names, weights): each value's cell is made once per call and its
        text goes to the workbook's shared strings, so that a repeated label is
        written as a number, not as itself. Text of other columns is written in
        the cell, as :meth:`write_row` does."""
        count = len(columns[0]) if columns else 0
        if not count:
            return
        sheet, first_row = self._sheet, self.rows
        cell_ends = [
            self._cell_ends(values, many)
            for values, many in zip(columns, repeated, strict=True)
        ]
        used = [j for j, ends in enumerate(cell_ends) if any(ends)]
        numbers = [str(row) for row in range(first_row + 1, first_row + count + 1)]
        cells_by_column = [
            [
                start + number + end if end else ""
                for number, end in zip(numbers, ends, strict=True)
            ]
            for start, ends in zip(_cell_starts(len(columns)), cell_ends, strict=True)
        ]
        lines = [
            f'<row r="{number}">{cells}</row>'
            for number, cells in zip(
                numbers,
                map("".join, zip(*cells_by_column, strict=True)),
                strict=True,
            )
            if cells
        ]
        self.rows += count
        if not used:
            return
        sheet._check_dimensions(first_row, used[0])
        sheet._check_dimensions(first_row + count - 1, used[-1])
        if first_row > sheet.previous_row:
            sheet._write_single_row(first_row)  # anything written through XlsxWriter
        sheet.fh.write("".join(lines))

    def _cell_ends(self, values: Sequence[object], repeated: bool) -> list[str]:
        """What follows the cell reference of each of ``values`` (starting with
        the reference's closing quote), "" for an empty cell; text of a
        ``repeated`` column is put in the shared strings, each value's end made
        once."""
        if not repeated:
            return [
                "" if value is None or value == "" else self._cell_end(value, False)
                for value in values
            ]
        uses = Counter(values)
        made = {
            value: "" if value is None or value == "" else self._cell_end(value, True)
            for value in uses
        }
        self._book.count_shared(
            sum(n for value, n in uses.items() if isinstance(value, str) and value)
        )
        return [made[value] for value in values]

    def _cell_end(self, value: object, shared: bool) -> str:
        """One cell's end (see :meth:`_cell_ends`)."""
        book = self._book
        if isinstance(value, str):
            style = book.text_styles[False][
                value[:1] in _FIRST and could_be_formula(value)
            ]
            if not shared:
                if _PLAIN.fullmatch(value):  # nothing to escape: a code, a UUID
                    attribute = book.style_attribute(style)
                    return f'"{attribute} t="inlineStr"><is><t>{value}</t></is></c>'
                return '"' + book.style_attribute(style) + _inline_text(value)
            index = book.shared(value)
            return f'"{book.style_attribute(style)} t="s"><v>{index}</v></c>'
        if isinstance(value, datetime):
            value = self._sheet._convert_date_time(value)
            return f'"{book.style_attribute(book.moment)}><v>{value:.16G}</v></c>'
        return f'"><v>{value:.16G}</v></c>'


@cache
def _cell_starts(columns: int) -> list[str]:
    """The start of a cell in each of the first ``columns`` columns, up to its
    row number."""
    return [f'<c r="{_column_name(column)}' for column in range(columns)]


@cache
def _column_name(column: int) -> str:
    """A column's letters (0 → A)."""
    return xl_col_to_name(column)


@lru_cache(maxsize=8192)  # option labels, unit names and codes repeat on every row
def _inline_text(text: str) -> str:
    """The rest of an inline-string cell, as XlsxWriter writes it."""
    if len(text) > MAX_CELL_TEXT // 2 and _utf16_len(text) > MAX_CELL_TEXT:
        text = _utf16_truncate(text, MAX_CELL_TEXT)
    text = _XML._escape_control_characters(text)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f' t="inlineStr"><is><t{space}>{_XML._escape_data(text)}</t></is></c>'


#: XlsxWriter's escaping of text (its methods use no state of the writer).
_XML = XMLwriter()
#: UTF-16 units a cell's text may hold (Excel's limit).
MAX_CELL_TEXT = 32767


#: zlib's level for the parts of a workbook: the fastest. At 100,000 responses the
#: sheet's 157 MB of XML take 0.7 s instead of 2.4 s and make 23.5 MB instead of
#: 17.5 MB (benchmarks/export_speed.py); XML compresses well at any level.
ZIP_LEVEL = 1


class _QuickZipFile(zipfile.ZipFile):
    """The ZipFile XlsxWriter writes a workbook with, at :data:`ZIP_LEVEL`."""

    def __init__(self, *args: Any, **options: Any) -> None:
        options.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **options)


class StreamedWorkbook:
    """An .xlsx written in constant memory, a row at a time (XlsxWriter), whatever
    the number of rows: a sheet holds at most :data:`SHEET_ROWS`."""

    def __init__(self, target: IO[bytes]) -> None:
        import xlsxwriter  # imported here: only the workbook downloads need it
        import xlsxwriter.workbook

        # XlsxWriter compresses at zlib's default level and has no option for it
        xlsxwriter.workbook.ZipFile = _QuickZipFile
        self._book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        #: text formats by (bold, could be a formula)
        self.text_styles = {
            bold: {
                quoted: self._book.add_format({"bold": bold, "quote_prefix": quoted})
                for quoted in (False, True)
            }
            for bold in (False, True)
        }
        self.moment = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._number_formats: dict[str, Any] = {}
        self._style_attributes: dict[int, str] = {}

    def known_attribute(self, cell_format: Any) -> str | None:
        """``style_attribute`` if a cell has used ``cell_format`` already."""
        return self._style_attributes.get(id(cell_format))

    def style_attribute(self, cell_format: Any) -> str:
        """A cell's `` s="…"`` attribute for ``cell_format`` (none for None).

        XlsxWriter numbers a format when a cell first uses it: so here too."""
        if cell_format is None:
            return ""
        key = id(cell_format)
        if key not in self._style_attributes:
            index = cell_format._get_xf_index()
            self._style_attributes[key] = f' s="{index}"'
        return self._style_attributes[key]

    def shared(self, text: str) -> int:
        """The index of ``text`` in the workbook's shared strings, added if new
        (its uses are counted apart: :meth:`count_shared`)."""
        table = self._book.str_table.string_table
        index = table.get(text)
        if index is None:
            if len(text) > MAX_CELL_TEXT // 2 and _utf16_len(text) > MAX_CELL_TEXT:
                return self.shared(_utf16_truncate(text, MAX_CELL_TEXT))
            index = table[text] = self._book.str_table.unique_count
            self._book.str_table.unique_count += 1
        return index

    def count_shared(self, uses: int) -> None:
        """Count ``uses`` more cells showing a shared string."""
        self._book.str_table.count += uses

    def number_format(self, pattern: str) -> Any:
        """The cell format that shows numbers as ``pattern`` (e.g. "0.00%")."""
        if pattern not in self._number_formats:
            self._number_formats[pattern] = self._book.add_format(
                {"num_format": pattern}
            )
        return self._number_formats[pattern]

    def allow_large(self) -> None:
        """Let the file pass 4 GB (ZIP64): the sheets of a million responses do
        before compression, and XlsxWriter refuses them otherwise."""
        self._book.use_zip64()

    def sheet(self, title: str) -> StreamedSheet:
        """A new sheet at the end (titles are cut to Excel's 31 characters)."""
        return StreamedSheet(self, self._book.add_worksheet(title[:31]))

    def close(self) -> None:
        """Finish the file."""
        self._book.close()


#: Rows an Excel sheet can hold.
SHEET_ROWS = 1_048_576
