"""The walk that measures a sheet before openpyxl opens it
(sipas/questionnaire/sheet_bounds.py)."""

from __future__ import annotations

import io
from itertools import product
from string import ascii_uppercase

import pytest
from openpyxl.utils.cell import column_index_from_string

from sipas.questionnaire.sheet_bounds import (
    SheetLimits,
    UnreadableSheet,
    column_letters,
    column_number,
    measure,
)


def _openpyxl_number(letters: str) -> int | None:
    try:
        return column_index_from_string(letters)
    except ValueError:
        return None


def _ours(letters: str) -> int | None:
    try:
        return column_number(letters)
    except ValueError:
        return None


def test_column_letters_read_as_openpyxl_reads_them():
    """Every column from A to ZZZ, lower case too, and what is not a column."""
    names = ["".join(p) for n in (1, 2, 3) for p in product(ascii_uppercase, repeat=n)]
    assert [column_number(name) for name in names] == list(range(1, 18279))
    assert [column_letters(number) for number in range(1, 18279)] == names
    odd = ["", "AAAA", "a", "xfd", "A1", "Ä", "@", "[", "Z Z", "1"]
    assert [_ours(text) for text in odd] == [_openpyxl_number(text) for text in odd]


def _sheet(*cells: str) -> io.BytesIO:
    row = "".join(f'<c r="{cell}"><v>1</v></c>' for cell in cells)
    return io.BytesIO(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        b'main"><sheetData><row r="3">' + row.encode() + b"</row></sheetData>"
        b"</worksheet>"
    )


def test_the_walk_finds_the_last_column_by_its_letters():
    limits = SheetLimits(rows=100, columns=100, cells=10_000)
    size = measure(_sheet("B3", "AA3"), limits)
    assert (size.rows, size.columns) == (3, 27)


def test_a_reference_that_names_no_column_is_unreadable():
    limits = SheetLimits(rows=100, columns=100, cells=10_000)
    with pytest.raises(UnreadableSheet):
        measure(_sheet("AAAA3"), limits)
