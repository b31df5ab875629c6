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
from collections.abc import Iterable
from typing import IO, Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

#: The characters a spreadsheet reads as the start of a formula, after any quotes.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
#: What such text starts with (checked first: most cells start with none of them).
_FIRST = frozenset("'=+-@\t\r")
#: A plain number, which a spreadsheet reads as that number (not neutralised).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
QUOTE = "'"


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
        for row in rows:
            self.writerow(row)


def append_row(sheet: Worksheet | WriteOnlyWorksheet, row: Iterable[object]) -> None:
    """``sheet.append(row)``, with text (a value or a cell's) that could be a
    formula written as a string-typed, quote-prefixed cell."""
    sheet.append([_xlsx_value(sheet, value) for value in row])


def _xlsx_value(sheet: Worksheet | WriteOnlyWorksheet, value: object) -> object:
    text = value.value if isinstance(value, Cell) else value
    if not (isinstance(text, str) and could_be_formula(text)):
        return value
    cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl makes text starting with "=" a formula
    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell
