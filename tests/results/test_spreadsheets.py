"""Spreadsheet files keep citizens' text from becoming formulas (OWASP "CSV
injection"): the stats CSV of the pages and of `flask sipas export`, the workbook and
the unit list; a neutralised file imports back to the original text and gives the
statistics command the same figures."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from sipas.extensions import db
from sipas.models import Answer, Response, Role
from sipas.questionnaire.logic import normalize_text
from sipas.services.questionnaires import parsed
from sipas.services.results import exports
from sipas.services.units import imports
from sipas.services.units.lookup import unit_by_code
from sipas.spreadsheets import csv_cell, from_csv_cell
from tests.conftest import ROOT
from tests.factories import demo_target, make_response, valid_answers

#: Hostile comments and the bytes of their stats CSV cell.
HOSTILE = {
    '=HYPERLINK("http://x","y")': b'"\'=HYPERLINK(""http://x"",""y"")"',
    "+1+1": b"'+1+1",
    "-2+3": b"'-2+3",
    "@SUM(A1)": b"'@SUM(A1)",
    "\t=1": b"'\t=1",
    "=cmd|' /C calc'!A0": b"'=cmd|' /C calc'!A0",
}
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
SOURCE = ROOT / "sipas"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        *((text, "'" + text) for text in HOSTILE),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # already quoted: one more, taken off again on import
        ("''-x", "'''-x"),
        ("-", "'-"),
        ("-5", "-5"),
        ("+3", "+3"),
        ("-0.25", "-0.25"),
        ("6.2e-05", "6.2e-05"),
        ("9", "9"),
        ("", ""),
        ("Cán bộ nhiệt tình", "Cán bộ nhiệt tình"),
        ("a = b", "a = b"),
        ("'quoted'", "'quoted'"),
        (-5, -5),
        (None, None),
    ],
)
def test_text_that_opens_a_formula_gets_one_quote(value, cell):
    assert csv_cell(value) == cell
    if isinstance(value, str):
        assert from_csv_cell(cell) == value


@pytest.mark.parametrize("text", ["'hello", "'", "'5", "it's", "-5", "=raw"])
def test_reading_leaves_cells_the_export_did_not_quote(text):
    assert from_csv_cell(text) == text


def test_no_writer_goes_around_the_guard():
    """Every CSV writer and workbook row of the app goes through sipas.spreadsheets."""
    bypassing = [
        f"{path.relative_to(SOURCE)}: {line.strip()}"
        for path in SOURCE.rglob("*.py")
        if path.name != "spreadsheets.py"
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"csv\.(writer|DictWriter)\(|sheet\.append\(", line)
    ]
    assert bypassing == []


@pytest.fixture
def hostile(demo_app):
    """A response per hostile comment in the demo wave: response id → comment."""
    wave, _unit = demo_target()
    answers = valid_answers(parsed(wave.questionnaire))
    comments = {}
    for comment in HOSTILE:
        response_id = uuid.uuid4()
        make_response(
            answers={**answers, "comment": comment}, response_uuid=response_id
        )
        comments[str(response_id)] = comment
    # stored text is trimmed; a leading tab (an older row, another tool) is guarded
    # all the same
    tabbed = next(r for r, c in comments.items() if c.startswith("\t"))
    db.session.execute(
        sa.update(Answer)
        .where(Answer.item_code == "comment")
        .where(Answer.response_id == _response_id(tabbed))
        .values(value="\t=1")
    )
    db.session.commit()
    return comments


def _response_id(response_uuid: str) -> int:
    return db.session.scalar(
        sa.select(Response.id).where(Response.uuid == uuid.UUID(response_uuid))
    )


@pytest.fixture
def admin(demo_client, login_as):
    login_as(demo_client, Role.admin)
    return demo_client


def download(client, fmt: str) -> bytes:
    response = client.get(f"/admin/results/demo/download.{fmt}")
    assert response.status_code == 200
    return response.get_data()


def cli_export(runner, tmp_path, fmt: str = "csv") -> bytes:
    target = tmp_path / f"cli.{fmt}"
    args = ["sipas", "export", "demo", "--format", fmt, "-o", str(target)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return target.read_bytes()


def test_stats_csv_cells_are_neutralised(hostile, admin, runner, tmp_path):
    data = download(admin, "csv")
    lines = {line.split(b",", 1)[0].decode(): line for line in data.splitlines()}
    for response_id, comment in hostile.items():
        cell = HOSTILE[comment]
        assert re.search(b"," + re.escape(cell) + b"(,|$)", lines[response_id])
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    comments = {row["response_id"]: row["comment"] for row in rows}
    assert {comments[r] for r in hostile} == {"'" + c for c in hostile.values()}
    # the command writes the same neutralised file
    assert cli_export(runner, tmp_path) == data


def sheet_cells(data: bytes) -> list[dict]:
    """Type, style, inline text and formula of every cell of the first sheet, as
    openpyxl wrote them in the XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        # our own file, just written
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))  # noqa: S314
    quoted = [
        xf.get("quotePrefix") == "1"
        for xf in styles.find(f"{MAIN}cellXfs").findall(f"{MAIN}xf")
    ]
    return [
        {
            "type": c.get("t"),
            "quote_prefix": quoted[int(c.get("s", 0))],
            "text": "".join(t.text or "" for t in c.iter(f"{MAIN}t")),
            "formula": c.find(f"{MAIN}f") is not None,
        }
        for c in sheet.iter(f"{MAIN}c")
    ]


def test_workbook_cells_are_text_never_formulas(hostile, admin):
    data = download(admin, "xlsx")
    cells = sheet_cells(data)
    assert not any(cell["formula"] for cell in cells)
    for comment in hostile.values():
        (cell,) = [c for c in cells if c["text"] == comment]
        assert cell == {
            "type": "inlineStr",
            "quote_prefix": True,
            "text": comment,
            "formula": False,
        }
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    column = [c.value for c in sheet[2]].index("comment")
    shown = {row[column].value: row[column].data_type for row in sheet.iter_rows(3)}
    assert {c: shown[c] for c in hostile.values()} == dict.fromkeys(
        hostile.values(), "s"
    )
    # plain numbers stay numbers (a weight, a number answer)
    assert {row[5].data_type for row in sheet.iter_rows(3)} == {"n"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_neutralised_file_imports_back_the_original_comments(
    hostile, admin, runner, tmp_path, fmt
):
    path = tmp_path / f"sipas-demo.{fmt}"
    path.write_bytes(download(admin, fmt))
    for model in (Answer, Response):
        db.session.execute(sa.delete(model))
    db.session.commit()
    result = runner.invoke(args=["sipas", "import", "demo", str(path)])
    assert result.exit_code == 0, result.output
    stored = dict(
        db.session.execute(
            sa.select(Response.uuid, Answer.value)
            .join(Answer)
            .where(Answer.item_code == "comment")
        ).all()
    )
    # exactly the added quote is gone: the text is what the import of the original
    # comment stores (trimmed, as every stored text)
    assert {str(u): v for u, v in stored.items()} == {
        r: normalize_text(c) for r, c in hostile.items()
    }


def stats(runner, path: Path) -> dict:
    args = ["sipas", "stats", str(path), "--questionnaire", "sipas-2017"]
    result = runner.invoke(args=[*args, "--format", "json", "--by", "channel"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_statistics_are_those_of_the_raw_file(hostile, admin, runner, tmp_path):
    neutralised = tmp_path / "neutralised.csv"
    neutralised.write_bytes(download(admin, "csv"))
    raw = tmp_path / "raw.csv"
    wave, _unit = demo_target()
    with raw.open("w", encoding="utf-8-sig", newline="") as handle:
        # the rows come neutralised: the raw file takes the guard's quote off again
        csv.writer(handle, lineterminator="\n").writerows(
            [from_csv_cell(cell) if cell else cell for cell in row]
            for row in exports.stats_csv_rows(wave)
        )
    assert raw.read_bytes() != neutralised.read_bytes()
    assert stats(runner, neutralised) == stats(runner, raw)


def test_unit_list_cells_are_neutralised_and_import_back(admin):
    unit = unit_by_code("QN-TIENYEN")
    unit.name = "=1+1 Xã Tiên Yên"
    db.session.commit()
    data = admin.get("/admin/units/export.csv").get_data()
    assert ",'=1+1 Xã Tiên Yên,".encode() in data
    report = imports.import_units("units.csv", data, None)
    assert report.ok
    assert (report.created, report.updated) == (0, 0)
    db.session.refresh(unit)
    assert unit.name == "=1+1 Xã Tiên Yên"
