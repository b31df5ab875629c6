"""How far a worksheet's XML really reaches, measured as a stream (pure: no Flask).

openpyxl trusts a sheet's declared ``<dimension>`` and, in ordinary mode, its last
cell: a few bytes can make it build billions of cells. :func:`measure` walks the
sheet's XML with one row in memory at a time and raises :class:`SheetTooLarge` as
soon as the rows, columns or cells pass the :class:`SheetLimits` given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import ParseError, XMLPullParser

#: Bytes read from the sheet per step of the walk.
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class SheetLimits:
    """The most a sheet may hold: its last row, last column, and last row × last
    column (the cells an openpyxl reader would make)."""

    rows: int
    columns: int
    cells: int


@dataclass(frozen=True)
class SheetSize:
    """What the walk found: the last row and column holding a value."""

    rows: int
    columns: int


class UnreadableSheet(ValueError):
    """The sheet's XML does not parse, or names a cell that cannot exist."""


class SheetTooLarge(ValueError):
    """The sheet passes a limit: ``kind`` is "rows", "columns" or "cells"."""

    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(f"more than {limit} {kind}")
        self.kind = kind
        self.limit = limit


def measure(source: IO[bytes], limits: SheetLimits) -> SheetSize:
    """Walk a sheet's XML from ``source`` and refuse it past ``limits``."""
    walk = _Walk(limits)
    try:
        while chunk := source.read(_CHUNK):
            walk.parser.feed(chunk)
            walk.events()
        walk.parser.close()
        walk.events()
    except ParseError as error:
        raise UnreadableSheet(str(error)) from error
    return SheetSize(walk.last_row, walk.last_column)


class _Walk:
    """Counts rows and columns of a sheet's XML, one row in memory at a time."""

    def __init__(self, limits: SheetLimits) -> None:
        self.limits = limits
        self.parser: Any = XMLPullParser(events=("start", "end"))
        self.last_row = 0
        self.last_column = 0
        self.cells = 0
        self.sheet_data: Any = None

    def events(self) -> None:
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
        limits = self.limits
        if self.last_row > limits.rows:
            raise SheetTooLarge("rows", limits.rows)
        if self.last_column > limits.columns:
            raise SheetTooLarge("columns", limits.columns)
        if max(self.cells, self.last_row * self.last_column) > limits.cells:
            raise SheetTooLarge("cells", limits.cells)


def _number(text: str | None, default: int) -> int:
    """A row's number from its ``r`` attribute (its place when there is none)."""
    if text is None:
        return default
    try:
        return int(text)
    except ValueError as error:
        raise UnreadableSheet(f"row {text!r}") from error


def _column(reference: str | None, default: int) -> int:
    """A cell's column from its ``r`` attribute such as ``XFD7``."""
    if reference is None:
        return default
    try:
        return column_number(reference.rstrip("0123456789"))
    except ValueError as error:
        raise UnreadableSheet(f"cell {reference!r}") from error


#: A column's letters as a cell reference may give them: A to ZZZ (as openpyxl).
_LETTERS = re.compile(r"[A-Za-z]{1,3}")


def column_number(letters: str) -> int:
    """The column ``letters`` name, from 1 (A) to 18278 (ZZZ), as openpyxl reads
    them (no openpyxl here: it takes 0.15 s to import); ValueError otherwise."""
    if not _LETTERS.fullmatch(letters):
        raise ValueError(f"{letters!r} is not a column")
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def column_letters(number: int) -> str:
    """The letters of column ``number`` (1 → A, 27 → AA): the inverse of
    :func:`column_number`."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
