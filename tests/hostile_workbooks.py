"""Workbooks an attacker could upload: a sheet declaring a huge ``<dimension>``,
cells far to the right, XML that does not parse (issue 18 items 5 and 6)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
#: The largest sheet Excel knows: openpyxl pads every row to its 16,384 columns.
HUGE_DIMENSION = '<dimension ref="A1:XFD1048576"/>'


def workbook(rows: Iterable[Iterable[object]]) -> bytes:
    """An ordinary .xlsx holding ``rows`` on its only sheet."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_xml(data: bytes, change: Callable[[str], str]) -> bytes:
    """``data`` with the first sheet's XML passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == SHEET:
                content = change(content.decode()).encode()
            target.writestr(member.filename, content)
    return out.getvalue()


def padded(rows: Iterable[Iterable[object]]) -> bytes:
    """A workbook of ``rows`` whose sheet declares the largest dimension."""
    return with_sheet_xml(
        workbook(rows), lambda xml: re.sub(r"<dimension [^>]*/>", HUGE_DIMENSION, xml)
    )


def far_right(rows: Iterable[Iterable[object]]) -> bytes:
    """A workbook of fewer than 999 ``rows`` and a cell in the last column."""
    cell = '<row r="999"><c r="XFD999" t="inlineStr"><is><t>x</t></is></c></row>'
    return with_sheet_xml(
        workbook(rows), lambda xml: xml.replace("</sheetData>", cell + "</sheetData>")
    )


def malformed(rows: Iterable[Iterable[object]]) -> bytes:
    """A workbook of ``rows`` whose sheet XML breaks off inside a cell."""
    return with_sheet_xml(
        workbook(rows), lambda xml: xml.replace("</sheetData>", '<row r="99"><c r=')
    )


def hostile_megabyte(target_bytes: int = 1024 * 1024) -> bytes:
    """About ``target_bytes`` of workbook declaring the largest dimension, its
    rows of text that does not compress (every cell padded by an unbounded reader
    to 16,384 columns)."""
    import random

    chance = random.Random(18)  # noqa: S311 - test data, the same every run
    rows, data = 2000, b""
    while len(data) < target_bytes:
        texts = [
            ["".join(chance.choices("abcdefghijklmnopqrstuvwxyz", k=40))]
            for _ in range(rows)
        ]
        data = padded(texts)
        rows = int(rows * target_bytes / max(len(data), 1) * 1.02) + 1
    return data
