"""The workbook's rows written as XML directly are byte for byte what XlsxWriter's
own cell calls make (constant-memory mode): text of every kind, numbers, times,
formats, bold headings, empty cells, sheets after sheets."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from sipas.spreadsheets import StreamedSheet, StreamedWorkbook, could_be_formula

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
