"""The workbook's rows written as XML directly are byte for byte what XlsxWriter's
own cell calls make (constant-memory mode): text of every kind, numbers, times,
formats, bold headings, empty cells, sheets after sheets."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from sipas import spreadsheets
from sipas.spreadsheets import (
    _PLAIN,
    StreamedSheet,
    StreamedWorkbook,
    could_be_formula,
)

#: The namespace of a sheet's XML.
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

ROWS = [
    ["Phiếu", "Mã", None, "Thời điểm", "Trọng số", "Ý kiến"],
    [
        "0f8fa9c2-1b7e-4d57-9a55-3c1f0e6b2a10",
        "QN-HALONG",
        "",
        datetime(2025, 3, 28, 11, 21, 42),
        12.5,
        '=HYPERLINK("http://x","y") & <b> "quoted"',
    ],
    ["-2+3", "'=1", 3, datetime(2024, 1, 1), 0.1 + 0.2, "  leading and trailing  "],
    ["control \x07 char _x0007_", "line\nbreak", -5, None, 10**16, "Gọi tôi: 09••• 78"],
    [None, None, None, None, None, None],
    ["@mention", "+84", 0, None, 1e-300, "x" * 40000],
]


def reference_row(book: StreamedWorkbook, sheet: StreamedSheet, values, formats, bold):
    """The row as before: one XlsxWriter call per cell."""
    worksheet, row = sheet._sheet, sheet.rows
    styles = book.text_styles[bold]
    for column, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            worksheet.write_string(row, column, value, styles[could_be_formula(value)])
        elif isinstance(value, datetime):
            worksheet.write_datetime(row, column, value, book.moment)
        else:
            style = formats[column] if formats else None
            worksheet.write_number(row, column, value, style)
    sheet.rows += 1


def workbook_parts(fast: bool) -> dict[str, bytes]:
    buffer = io.BytesIO()
    book = StreamedWorkbook(buffer)
    percent = book.number_format("0.00%")
    for title in ("Phiếu trả lời", "Bảng"):
        sheet = book.sheet(title)
        sheet.widths([38, 16, 30, 20, 12, 24])
        formats = [None, None, percent, None, percent, None]
        for number, values in enumerate(ROWS):
            bold = number == 0
            if fast:
                sheet.write_row(values, formats, bold=bold)
            else:
                reference_row(book, sheet, values, formats, bold)
        sheet.freeze(1, 1)
    book.close()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if not name.startswith("docProps/")  # the time it was made
        }


def test_rows_are_the_bytes_xlsxwriter_writes():
    fast, reference = workbook_parts(True), workbook_parts(False)
    assert fast.keys() == reference.keys()
    for name in reference:
        assert fast[name] == reference[name], name
    sheet = fast["xl/worksheets/sheet1.xml"].decode()
    assert 'xml:space="preserve"' in sheet
    assert "_x0007_" in sheet
    assert "&lt;b&gt;" in sheet


def test_a_large_workbook_is_written_with_zip64():
    buffer = io.BytesIO()
    book = StreamedWorkbook(buffer)
    book.allow_large()
    book.sheet("Phiếu").write_row(["a", 1.5])
    book.close()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert b"<v>1.5</v>" in archive.read("xl/worksheets/sheet1.xml")
    assert book._book.allow_zip64


def cells_read_back(data: bytes) -> list[list[tuple]]:
    """Each cell of the first sheet as a reader sees it: value, type, number
    format and whether a person editing it keeps it text; text as the file
    holds it, in the cell or among the shared strings (openpyxl undoes Excel's
    escapes of the shared strings only)."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    texts = iter(stored_texts(data))
    return [
        [
            (
                next(texts) if c.data_type == "s" else c.value,
                c.data_type,
                c.number_format,
                c.quotePrefix,
            )
            for c in row
        ]
        for row in sheet.iter_rows()
    ]


def stored_texts(data: bytes) -> list[str]:
    """The text of each text cell of the first sheet as the file holds it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # our own file, just written
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314
        shared = []
        if "xl/sharedStrings.xml" in archive.namelist():
            table = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))  # noqa: S314
            shared = [si.find(f"{MAIN}t").text for si in table]
    return [
        shared[int(c.find(f"{MAIN}v").text)]
        if c.get("t") == "s"
        else c.find(f"{MAIN}is/{MAIN}t").text
        for c in sheet.iter(f"{MAIN}c")
        if c.get("t") in ("s", "inlineStr")
    ]


def written(write) -> bytes:
    buffer = io.BytesIO()
    book = StreamedWorkbook(buffer)
    write(book.sheet("Phiếu"))
    book.close()
    return buffer.getvalue()


@pytest.mark.parametrize("repeated", [True, False])
def test_rows_given_by_column_read_back_as_rows_given_one_by_one(repeated):
    body = ROWS[1:] * 3  # values repeated from row to row, as labels are
    columns = [list(column) for column in zip(*body, strict=True)]
    by_column = written(
        lambda sheet: sheet.write_columns(columns, [repeated] * len(columns))
    )
    by_row = written(lambda sheet: [sheet.write_row(row) for row in body])
    assert cells_read_back(by_column) == cells_read_back(by_row)
    with zipfile.ZipFile(io.BytesIO(by_column)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        shared = archive.read("xl/sharedStrings.xml").decode() if repeated else ""
    assert sheet.count('t="s"') == (12 * 3 if repeated else 0)
    if repeated:  # each text once, and its uses counted as XlsxWriter counts them
        assert 'count="36" uniqueCount="12"' in shared
        assert "_x0007_" in shared
        assert 'xml:space="preserve"' in shared


def test_rows_by_column_continue_after_rows_written_one_by_one():
    def write(sheet):
        sheet.heading(["Phiếu", "Trọng số"])
        sheet.write_columns([["a", None, "c"], [1.5, 2.5, None]], [False, True])
        sheet.write_columns([[None], [None]], [True, True])  # an empty row
        sheet.write_row(["d", 3])

    cells = cells_read_back(written(write))
    values = [[value for value, *_rest in row] for row in cells]
    assert values == [
        ["Phiếu", "Trọng số"],
        ["a", 1.5],
        [None, 2.5],
        ["c", None],
        [None, None],
        ["d", 3],
    ]


@pytest.mark.parametrize(
    "text", ["3cb8ff8d-38e1-47d8-836e-6db0ab0e6122", "QN-TTHCC", "v1.2", "A"]
)
def test_plain_text_is_written_as_xlsxwriter_writes_it(text):
    """Codes and UUIDs skip the escaping (nothing in them to escape)."""
    assert _PLAIN.fullmatch(text)
    by_column = written(lambda sheet: sheet.write_columns([[text]], [False]))
    by_row = written(lambda sheet: sheet.write_row([text]))
    with zipfile.ZipFile(io.BytesIO(by_column)) as one:
        with zipfile.ZipFile(io.BytesIO(by_row)) as other:
            name = "xl/worksheets/sheet1.xml"
            assert one.read(name) == other.read(name)


@pytest.mark.parametrize("text", ["_x0007_", "a b", "a_b", "-5", "=1", "<b>", "Hà"])
def test_text_that_needs_escaping_or_a_quote_is_not_plain(text):
    assert _PLAIN.fullmatch(text) is None


def test_workbooks_are_compressed_at_the_quick_level(monkeypatch):
    rows = [[f"Ý kiến số {k % 97}", k * 0.5] for k in range(20_000)]

    def size() -> int:
        data = written(lambda sheet: [sheet.write_row(row) for row in rows])
        assert load_workbook(io.BytesIO(data)).worksheets[0].max_row == 20_000
        return len(data)

    quick = size()
    monkeypatch.setattr(spreadsheets, "ZIP_LEVEL", 9)
    assert size() < quick
