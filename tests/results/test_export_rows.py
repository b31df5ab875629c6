"""The stats CSV made from plain rows gives the same bytes as the way it was made
before (an ORM object per response, every cell neutralised): masking of personal
data, multi-choice joins, a unit's subtree, several batches and formula-like text."""

from __future__ import annotations

import csv
import gc
import io
import uuid

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from sipas.extensions import db
from sipas.models import Answer, Response, ResponseStatus, Wave
from sipas.questionnaire import ItemType
from sipas.questionnaire.personal_data import mask_personal_data
from sipas.services import synthetic
from sipas.services.questionnaires import parsed
from sipas.services.responses.privacy import text_item_codes
from sipas.services.results import dashboard, exports, parquet, workbook
from sipas.services.results.answers import JOINER
from sipas.services.units.lookup import unit_by_code
from sipas.services.units.tree import subtree_ids
from sipas.services.waves.design import unit_designs
from sipas.services.waves.lookup import wave_by_code
from sipas.spreadsheets import CsvWriter
from tests.factories import (
    demo_target,
    make_previous_wave,
    make_response,
    valid_answers,
)

COMMENTS = (
    '=HYPERLINK("http://x","y")',
    "-2+3",
    "Gọi tôi: 0912 345 678, email nguyen.van.a@gmail.com",
    "CCCD 001203004567 — cán bộ rất nhiệt tình",
    "Bình thường",
)


def reference_csv(wave: Wave, unit_ids=None) -> bytes:
    """The stats CSV as the export made it before: ORM responses, answers grouped
    in a dict of lists, every cell through the guard."""
    questionnaire = parsed(wave.questionnaire)
    criteria = [item.code for item in questionnaire.criteria]
    others = [i.code for i in questionnaire.items if not i.is_criterion]
    texts = text_item_codes(questionnaire)
    designs = unit_designs(wave)
    conditions = [
        Response.wave_id == wave.id,
        Response.status == ResponseStatus.complete,
    ]
    if unit_ids is not None:
        conditions.append(Response.unit_id.in_(sorted(unit_ids)))
    responses = db.session.scalars(
        sa.select(Response).where(*conditions).order_by(Response.id)
    ).all()
    found: dict[int, dict[str, list[str]]] = {}
    for response_id, code, value in db.session.execute(
        sa.select(Answer.response_id, Answer.item_code, Answer.value).order_by(
            Answer.response_id, Answer.item_code, Answer.value
        )
    ):
        if code in texts:
            value = mask_personal_data(value)
        found.setdefault(response_id, {}).setdefault(code, []).append(value)
    buffer = io.StringIO()
    writer = CsvWriter(buffer, lineterminator="\n")
    buffer.write("\ufeff")
    writer.writerow(
        ["response_id", "stratum", "psu", "weight", *criteria, "unit", "channel"]
        + ["wave", *others]
    )
    for response in responses:
        design = designs[response.unit_id]
        values = {c: ";".join(v) for c, v in found.get(response.id, {}).items()}
        writer.writerow(
            [
                str(response.uuid),
                design.stratum,
                design.psu or str(response.uuid),
                repr(design.weight),
                *[values.get(code, "") for code in criteria],
                design.unit.code,
                str(response.channel),
                wave.code,
                *[values.get(code, "") for code in others],
            ]
        )
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def varied_wave(demo_app, monkeypatch):
    """The demo wave: synthetic responses over every unit, in several batches, and
    comments with formulas and personal data."""
    monkeypatch.setattr(exports, "BATCH", 150)
    wave = wave_by_code("demo")
    synthetic.add_demo_responses(wave, 400, seed=11)
    _target_wave, _unit = demo_target()
    answers = valid_answers(parsed(wave.questionnaire))
    for comment in COMMENTS:
        make_response(
            answers={**answers, "comment": comment}, response_uuid=uuid.uuid4()
        )
    db.session.commit()
    return wave


def new_csv(wave: Wave, unit_ids=None) -> bytes:
    return b"".join(exports.stats_csv_chunks(wave, unit_ids))


def test_the_whole_rounds_csv_is_byte_for_byte_what_it_was(varied_wave):
    made = new_csv(varied_wave)
    assert made == reference_csv(varied_wave)
    text = made.decode("utf-8")
    assert "'=HYPERLINK" in text  # guarded
    assert "'-2+3" in text
    assert "0912 345 678" not in text  # masked
    assert "001203004567" not in text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    multi = [
        item.code
        for item in parsed(varied_wave.questionnaire).items
        if item.type is ItemType.multi_choice
    ]
    assert any(";" in row[code] for row in rows for code in multi)  # joined


def test_a_units_csv_is_byte_for_byte_what_it_was(varied_wave):
    subtree = subtree_ids(unit_by_code("QN-HALONG").id)
    made = new_csv(varied_wave, subtree)
    assert made == reference_csv(varied_wave, subtree)
    assert len(made.splitlines()) < len(new_csv(varied_wave).splitlines())


def test_answers_the_database_joins_are_read_back_exactly(varied_wave):
    """Each response's codes and values come joined by a control character: a value
    holding it, an item answered twice, options stored in reverse order and another
    round's responses among the ids of a batch are all read as the rows say."""
    questionnaire = parsed(varied_wave.questionnaire)
    answers = valid_answers(questionnaire)
    multi = next(i for i in questionnaire.items if i.type is ItemType.multi_choice)
    options = [choice.code for choice in multi.choices][:3]
    odd = make_response(answers={**answers, "comment": "một"}).response
    make_previous_wave(varied_wave, 40, seed=3)  # its ids come between this round's
    late = [make_response().response for _ in range(3)]
    for response_id, code in ((late[0].id, multi.code), (odd.id, "comment")):
        db.session.execute(
            sa.delete(Answer).where(
                Answer.response_id == response_id, Answer.item_code == code
            )
        )
    # as the database may hold them (the forms take no control characters)
    rows = [
        (odd.id, "comment", f"một{JOINER}hai"),
        *[(late[0].id, multi.code, option) for option in reversed(options)],
        (late[1].id, "field", f"x{JOINER}y"),  # not free text
        (late[2].id, "trips", "9"),  # a second value of a single choice
    ]
    db.session.execute(
        sa.insert(Answer),
        [{"response_id": r, "item_code": c, "value": v} for r, c, v in rows],
    )
    # rows changed by hand no longer say what the packed choices say: such
    # responses keep none, and their batch is read from the rows
    edited = [odd.id, *(response.id for response in late)]
    db.session.execute(
        sa.update(Response).where(Response.id.in_(edited)).values(choice_codes=None)
    )
    db.session.commit()
    made = new_csv(varied_wave)
    assert made == reference_csv(varied_wave)
    text = made.decode("utf-8")
    assert ";".join(sorted(options)) in text
    assert f"một{JOINER}hai" in text
    assert str(odd.uuid) in text
    assert "previous" not in text


def test_responses_beyond_a_sheet_continue_on_further_sheets_as_the_first_says(
    varied_wave, demo_app, monkeypatch
):
    monkeypatch.setattr(workbook, "SHEET_ROWS", 160)  # 157 responses a sheet
    counted = exports.count_counted(varied_wave)
    with demo_app.test_request_context():
        results = dashboard.compute_results(varied_wave, None)
        data = b"".join(workbook.results_workbook(results, None, {}))
    book = load_workbook(io.BytesIO(data))
    parts = [s for s in book.worksheets if s.title.startswith("Phiếu trả lời")]
    assert [s.title for s in parts] == [
        "Phiếu trả lời",
        "Phiếu trả lời (2)",
        "Phiếu trả lời (3)",
    ]
    note = parts[0].cell(row=1, column=1).value
    assert f"{counted} phiếu" in note
    assert "phần 1 / 3" in note
    assert all(s.freeze_panes == "B4" for s in parts)
    ids = [row[0].value for s in parts for row in s.iter_rows(min_row=4)]
    assert len(ids) == len(set(ids)) == counted
    assert [s.max_row - 3 for s in parts] == [157, 157, counted - 314]


def test_each_download_tells_its_progress_after_every_batch(varied_wave, demo_app):
    counted = exports.count_counted(varied_wave)  # 405: batches of 150
    expected = [(0, counted), (150, counted), (300, counted), (counted, counted)]
    heard: dict[str, list[tuple[int, int]]] = {}

    def listener(name: str):
        heard[name] = []
        return lambda done, total: heard[name].append((done, total))

    csv_file = b"".join(exports.stats_csv_chunks(varied_wave, progress=listener("c")))
    chunks = parquet.stats_parquet_chunks(varied_wave, progress=listener("p"))
    parquet_file = b"".join(chunks)
    with demo_app.test_request_context():
        results = dashboard.compute_results(varied_wave, None)
        workbook.results_workbook(results, None, {}, progress=listener("x"))
    assert heard == {"c": expected, "p": expected, "x": expected}
    assert csv_file == new_csv(varied_wave)  # told, not changed
    assert parquet_file == b"".join(parquet.stats_parquet_chunks(varied_wave))


def test_progress_of_a_units_download_counts_only_its_subtree(varied_wave):
    subtree = subtree_ids(unit_by_code("QN-HALONG").id)
    heard: list[tuple[int, int]] = []
    rows = b"".join(
        exports.stats_csv_chunks(varied_wave, subtree, lambda *p: heard.append(p))
    )
    total = len(rows.splitlines()) - 1
    assert heard[0] == (0, total)
    assert heard[-1] == (total, total)
    assert total < exports.count_counted(varied_wave)


def test_a_workbook_of_many_responses_may_pass_four_gigabytes(
    varied_wave, demo_app, monkeypatch
):
    """A million responses make more than 4 GB of sheet XML before compression:
    such a workbook is written with ZIP64 (XlsxWriter refused it before)."""
    from sipas.spreadsheets import StreamedWorkbook

    allowed: list[bool] = []
    monkeypatch.setattr(workbook, "LARGE_FROM", 400)  # the wave has 405
    monkeypatch.setattr(
        StreamedWorkbook, "allow_large", lambda self: allowed.append(True)
    )
    with demo_app.test_request_context():
        results = dashboard.compute_results(varied_wave, None)
        data = b"".join(workbook.results_workbook(results, None, {}))
        assert allowed == [True]
        monkeypatch.setattr(workbook, "LARGE_FROM", 406)
        workbook.results_workbook(results, None, {})
    assert allowed == [True]
    assert load_workbook(io.BytesIO(data)).sheetnames[0] == "Phiếu trả lời"


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_download_makes_its_rows_with_the_cycle_collector_paused(
    varied_wave, demo_app, fmt
):
    # each batch of rows is written inside the pause; the collector is back on
    # once the file is made
    paused_at: list[tuple[int, bool]] = []

    def listener(done: int, _total: int) -> None:
        paused_at.append((done, not gc.isenabled()))

    with demo_app.test_request_context():
        body = dashboard.export_file(varied_wave, None, fmt, listener)
        data = body if isinstance(body, bytes) else b"".join(body)
    assert data
    written = [paused for done, paused in paused_at if done > 0]
    assert written
    assert all(written)
    assert gc.isenabled()
