"""File import of responses: each kind of bad row, all-or-nothing, valid rows only,
idempotent re-import, round trips through our own exports, the command and the page."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from sipas.extensions import db
from sipas.models import Answer, AuditEvent, Channel, Response, Role
from sipas.questionnaire import validate_answers
from sipas.services.questionnaires import parsed
from sipas.services.responses import imports as response_import
from sipas.services.responses import store
from sipas.services.results import dashboard, exports
from sipas.services.synthetic import synthetic_answers
from sipas.services.units.lookup import unit_by_code
from tests.conftest import CSRF_PATTERN
from tests.factories import valid_answers

TOKEN_PATTERN = re.compile(r'name="token" type="hidden" value="([0-9a-f]{32})"')


def cells_of(answers: dict[str, object]) -> dict[str, str]:
    """Answers as stats CSV cells (multi-choice codes joined with ";")."""
    return {
        code: ";".join(value) if isinstance(value, list | tuple) else str(value)
        for code, value in answers.items()
    }


def make_row(questionnaire, unit="QN-HALONG-TT", **changes) -> dict[str, str]:
    """A valid row: a new response_id, the unit, a full set of answers; then
    ``changes`` (cell values by column)."""
    row = {"response_id": str(uuid.uuid4()), "unit": unit}
    row.update(cells_of(valid_answers(questionnaire)))
    row.update(changes)
    return row


def csv_file(rows: list[dict[str, str]], columns=None, delimiter=",") -> bytes:
    """The rows as a UTF-8 CSV with a BOM; columns in first-seen order."""
    if columns is None:
        columns = list(dict.fromkeys(c for row in rows for c in row))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[row.get(c, "") for c in columns] for row in rows])
    return ("\ufeff" + out.getvalue()).encode()


def run(wave, data: bytes, user=None, name="responses.csv", **kwargs):
    return response_import.import_file(wave, name, data, user, **kwargs)


def english(report) -> list[tuple[int, str, str]]:
    """(row, column, reason in English) of every problem."""
    with force_locale("en"):
        return [(e.row, e.column, str(e.message)) for e in report.errors]


def stored_count(wave) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Response.id)).where(Response.wave_id == wave.id)
    )


# each kind of bad row: (changes to row 3, column, words of the reason)
BAD_ROWS = {
    "unknown unit": ({"unit": "XX-99"}, "unit", "No unit has the code XX-99"),
    "unit not in the wave": ({"unit": "QN"}, "unit", "does not take part"),
    "value not an option": ({"field": "space"}, "field", "is not one of the options"),
    "scale out of range": ({"A1": "7"}, "A1", "1 to 5, 9"),
    "too many choices": (
        {"expectations": "information;simpler_procedures;shorter_time;lower_fees"},
        "expectations",
        "At most 3 options",
    ),
    "required answer missing": ({"A2": ""}, "A2", "must be answered"),
    "answer skipped by show_if": (
        {"on_time": "on_time", "apology": "yes"},
        "apology",
        "skipped by the answer to on_time",
    ),
    "bad response_id": ({"response_id": "12345"}, "response_id", "must be a UUID"),
    "unknown channel": ({"channel": "fax"}, "channel", "Unknown channel"),
    "other wave": ({"wave": "2019"}, "wave", "survey round 2019, not demo"),
    "text too long": ({"comment": "x" * 1001}, "comment", "At most 1000 characters"),
}


@pytest.mark.parametrize("kind", BAD_ROWS)
def test_each_kind_of_bad_row_is_reported_with_row_column_reason(
    wave, questionnaire, kind
):
    changes, column, reason = BAD_ROWS[kind]
    rows = [
        make_row(questionnaire, channel="paper", wave="demo"),
        make_row(questionnaire, **{"channel": "kiosk", "wave": "demo", **changes}),
        make_row(questionnaire, channel="", wave=""),
    ]
    report = run(wave, csv_file(rows))
    problems = english(report)
    assert len(problems) == 1, problems
    row, got_column, message = problems[0]
    assert (row, got_column) == (3, column)
    assert reason in message
    assert (report.rows, report.valid, report.bad_rows, report.imported) == (3, 2, 1, 0)
    assert stored_count(wave) == 0


def test_duplicate_response_id_names_the_first_row(wave, questionnaire):
    first = make_row(questionnaire)
    rows = [first, make_row(questionnaire), make_row(questionnaire)]
    rows[2]["response_id"] = first["response_id"].upper()
    report = run(wave, csv_file(rows))
    assert english(report) == [
        (4, "response_id", "The response_id is already on row 2.")
    ]


def test_unknown_column_is_reported_on_the_header_and_blocks_valid_only(
    wave, questionnaire
):
    rows = [make_row(questionnaire, A9="4"), make_row(questionnaire, A9="5")]
    report = run(wave, csv_file(rows), valid_only=True)
    problems = english(report)
    assert [(row, column) for row, column, _m in problems] == [(1, "A9")]
    assert "Unknown column" in problems[0][2]
    assert report.valid == 0
    assert report.imported == 0
    assert stored_count(wave) == 0


def test_a_required_question_without_a_column_is_said_once_for_the_header(
    wave, questionnaire
):
    """A file with no column for a question every response must answer: one
    problem on the header, not one on every row (a reviewer saw a 100 000-row
    file say "must be answered" 100 000 times); nothing is imported."""
    rows = [make_row(questionnaire) for _ in range(3)]
    for row in rows:
        del row["A1"]
    rows[1]["A2"] = "7"  # the rows' own problems are still said
    report = run(wave, csv_file(rows), valid_only=True)
    problems = english(report)
    assert [(row, column) for row, column, _m in problems] == [(1, "A1"), (3, "A2")]
    assert "no column for this question" in problems[0][2]
    assert (report.valid, report.imported, stored_count(wave)) == (0, 0, 0)


def test_a_row_with_more_filled_cells_than_the_header_is_refused(wave, questionnaire):
    """A comma left unquoted in a comment moves every cell after it: the row's
    filled cell past the header's last column is a problem (it was ignored);
    empty cells there (a spreadsheet's trailing commas) are not."""
    rows = [make_row(questionnaire) for _ in range(3)]
    columns = list(rows[0])
    text = csv_file(rows, columns).decode()
    lines = text.splitlines()
    lines[2] += ",rất tốt"  # row 3: one more cell, filled
    lines[3] += ",,"  # row 4: two more, empty
    report = run(wave, ("\n".join(lines) + "\n").encode())
    problems = english(report)
    width = len(columns)
    assert [(row, column) for row, column, _m in problems] == [(3, str(width + 1))]
    assert "more cells than the header" in problems[0][2]
    assert stored_count(wave) == 0


def test_a_file_without_unit_column_cannot_be_read(wave, questionnaire):
    row = make_row(questionnaire)
    del row["unit"]
    report = run(wave, csv_file([row]))
    assert report.file_error
    assert not report.imported


def test_every_problem_of_the_file_is_listed(wave, questionnaire):
    rows = [make_row(questionnaire, A1="0", B1="x", unit="ZZ") for _ in range(3)]
    report = run(wave, csv_file(rows))
    assert [(r, c) for r, c, _m in english(report)] == [
        (row, column) for row in (2, 3, 4) for column in ("unit", "A1", "B1")
    ]


def test_nothing_is_imported_while_a_row_is_wrong(wave, questionnaire):
    rows = [make_row(questionnaire) for _ in range(4)] + [
        make_row(questionnaire, A1="6")
    ]
    report = run(wave, csv_file(rows))
    assert not report.ok
    assert report.imported == 0
    assert report.valid == 4
    assert stored_count(wave) == 0
    imports = sa.select(AuditEvent).where(AuditEvent.action == "responses.import")
    assert db.session.scalars(imports).all() == []


def test_valid_only_imports_exactly_the_valid_rows(wave, questionnaire):
    good = [make_row(questionnaire, channel="kiosk") for _ in range(3)]
    bad = [make_row(questionnaire, A1="6"), make_row(questionnaire, unit="XX")]
    report = run(
        wave, csv_file([good[0], bad[0], good[1], bad[1], good[2]]), valid_only=True
    )
    db.session.commit()
    assert (report.imported, report.bad_rows, len(report.errors)) == (3, 2, 2)
    stored = db.session.scalars(sa.select(Response).where(Response.wave_id == wave.id))
    by_uuid = {str(r.uuid): r for r in stored}
    assert set(by_uuid) == {row["response_id"] for row in good}
    response = by_uuid[good[0]["response_id"]]
    # the file says kiosk: an import is stored as what it is
    assert response.channel is Channel.imported
    assert response.unit.code == "QN-HALONG-TT"
    # the same masks and answers as a response recorded one by one
    expected = valid_answers(questionnaire)
    recorded = store.record(
        store.Submission(uuid.uuid4(), wave, response.unit, Channel.paper),
        expected,
    ).response
    assert (response.criteria_answered, response.criteria_satisfied) == (
        recorded.criteria_answered,
        recorded.criteria_satisfied,
    )
    assert response.choice_codes is not None
    assert response.choice_codes == recorded.choice_codes
    assert sorted((a.item_code, a.value) for a in response.answers) == sorted(
        (a.item_code, a.value) for a in recorded.answers
    )


def test_importing_the_same_file_again_adds_nothing(wave, questionnaire):
    data = csv_file([make_row(questionnaire) for _ in range(5)])
    first = run(wave, data)
    db.session.commit()
    again = run(wave, data)
    db.session.commit()
    assert (first.imported, first.already) == (5, 0)
    assert (again.imported, again.already, again.ok) == (0, 5, True)
    assert stored_count(wave) == 5
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "responses.import")
    ).all()
    assert [e.details["imported"] for e in event] == [5, 0]
    assert event[0].details["file"] == "responses.csv"


def test_rows_without_response_id_get_stable_ids(wave, questionnaire):
    rows = [make_row(questionnaire) for _ in range(3)]
    twin = dict(rows[0])  # two respondents who answered alike
    rows.append(twin)
    for row in rows:
        del row["response_id"]
    data = csv_file(rows, delimiter=";")
    assert run(wave, data).imported == 4
    db.session.commit()
    again = run(wave, data)
    assert (again.imported, again.already) == (0, 4)


def test_a_response_id_of_another_wave_is_refused(wave, questionnaire):
    from sipas.models import Wave, WaveStatus

    other = Wave(
        code="other",
        title="Khác",
        questionnaire_id=wave.questionnaire_id,
        status=WaveStatus.open,
    )
    db.session.add(other)
    db.session.flush()
    data = csv_file([make_row(questionnaire)])
    from sipas.models import WaveUnit

    unit = unit_by_code("QN-HALONG-TT")
    db.session.add(WaveUnit(wave=other, unit=unit, population=10))
    assert run(other, data).imported == 1
    report = run(wave, data)
    assert [(r, c) for r, c, _m in english(report)] == [(2, "response_id")]


def test_surveyors_may_import_only_their_units(wave, questionnaire, demo_app):
    from sipas.services import accounts

    commune = unit_by_code("QN-HALONG")
    surveyor = accounts.create_user(
        "surveyor-a", "correct-horse-battery-1", Role.surveyor, unit=commune
    )
    rows = [make_row(questionnaire), make_row(questionnaire, unit="QN-CAMPHA-TT")]
    report = run(wave, csv_file(rows), surveyor)
    problems = english(report)
    assert [(r, c) for r, c, _m in problems] == [(3, "unit")]
    assert "outside the units you work for" in problems[0][2]
    assert run(wave, csv_file(rows), None).ok  # the command line may import all


def diverse_responses(wave, count: int = 80) -> None:
    """Stored responses with varied answers, units and channels."""
    questionnaire = parsed(wave.questionnaire)
    rng = random.Random(7)  # noqa: S311  (reproducible test data)
    units = [wu.unit for wu in wave.wave_units]
    while count:
        answers = synthetic_answers(questionnaire, rng, rng.uniform(3.0, 4.6))
        if not validate_answers(questionnaire, answers).is_valid:
            continue
        submission = store.Submission(
            uuid.UUID(int=rng.getrandbits(128), version=4),
            wave,
            rng.choice(units),
            rng.choice(list(Channel)),
            # a start time, as every client sends one (a kiosk response without
            # it is marked no_timing)
            started_at=datetime.now(UTC) - timedelta(minutes=10),
        )
        store.record(submission, answers)
        count -= 1
    db.session.commit()


def forget_responses(wave) -> None:
    ids = sa.select(Response.id).where(Response.wave_id == wave.id)
    db.session.execute(sa.delete(Answer).where(Answer.response_id.in_(ids)))
    db.session.execute(sa.delete(Response).where(Response.wave_id == wave.id))
    db.session.commit()


def restoring(wave) -> None:
    """Let re-imported rows count at once (a restore of rows counted before)."""
    wave.counts_unaccepted_imports = True
    db.session.commit()


def as_imported(stats_csv: str) -> str:
    """A stats CSV with every channel replaced by ``import``: what a re-import of
    it stores, whatever the file says."""
    rows = list(csv.reader(io.StringIO(stats_csv)))
    position = rows[0].index("channel")
    for row in rows[1:]:
        row[position] = Channel.imported.value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def results(wave) -> object:
    """The results JSON, parsed, with every number rounded to 12 significant
    digits: the same responses re-imported get new row ids, so PostgreSQL may
    hand the per-response sums back in another order and the last bit of a sum
    may differ (SQLite reuses the ids and gives the same bits)."""
    return json.loads(
        exports.results_json(dashboard.compute_results(wave, None)),
        parse_float=lambda text: float(f"{float(text):.12g}"),
    )


def figures(wave) -> dict:
    """:func:`results` without the breakdown by channel: re-imported rows are
    channel ``import``, whatever their channel was."""
    found = results(wave)
    found["breakdowns"] = [
        b for b in found.get("breakdowns", []) if b["column"] != "channel"
    ]
    return found


def test_stats_csv_round_trip_gives_the_same_statistics(wave):
    diverse_responses(wave)
    before, exported = figures(wave), exports.stats_csv(wave)
    forget_responses(wave)
    restoring(wave)
    report = run(wave, ("\ufeff" + exported).encode(), name="sipas-demo.csv")
    db.session.commit()
    assert report.ok
    assert report.imported == 80
    assert figures(wave) == before
    assert exports.stats_csv(wave) == as_imported(exported)


def test_labelled_workbook_round_trip(wave, runner, tmp_path):
    diverse_responses(wave, 40)
    before = figures(wave)
    path = tmp_path / "demo.xlsx"
    assert (
        runner.invoke(
            args=["sipas", "export", "demo", "--format", "xlsx", "-o", str(path)]
        ).exit_code
        == 0
    )
    forget_responses(wave)
    restoring(wave)
    report = run(wave, path.read_bytes(), name="demo.xlsx")
    db.session.commit()
    assert english(report) == []
    assert report.imported == 40
    assert figures(wave) == before


def test_labels_in_vietnamese_or_english_and_headers_by_wording(wave, questionnaire):
    from openpyxl import Workbook

    items = questionnaire.items
    answers = valid_answers(questionnaire)
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã đơn vị", "Kênh"] + [i.label["vi"] for i in items])
    languages = ("vi", "en")
    for n in range(2):
        language = languages[n]
        cells = []
        for item in items:
            value = answers.get(item.code)
            if value is None:
                cells.append(None)
                continue
            codes = value if isinstance(value, list) else [value]
            labels = [
                item.choice(c).label[language] if item.choices else c for c in codes
            ]
            cells.append("; ".join(labels))
        sheet.append(["QN-HALONG-TT", "Phiếu giấy" if n == 0 else "Paper"] + cells)
    buffer = io.BytesIO()
    book.save(buffer)
    with force_locale("vi"):
        report = run(wave, buffer.getvalue(), name="labels.xlsx")
    assert english(report) == []
    assert report.imported == 2
    stored = db.session.scalars(sa.select(Response)).all()
    for response in stored:
        values = {}
        for answer in response.answers:
            values.setdefault(answer.item_code, []).append(answer.value)
        assert values["A1"] == [answers["A1"]]
        assert sorted(values["expectations"]) == sorted(answers["expectations"])
        assert response.channel is Channel.imported


def test_command_reports_errors_and_imports_nothing(
    wave, questionnaire, runner, tmp_path
):
    path = tmp_path / "in.csv"
    path.write_bytes(
        csv_file([make_row(questionnaire), make_row(questionnaire, B2="0")])
    )
    result = runner.invoke(args=["sipas", "import", "demo", str(path)])
    assert result.exit_code == 1
    assert re.search(r"\b3\b.*\bB2\b", result.output)
    assert stored_count(wave) == 0
    result = runner.invoke(args=["sipas", "import", "demo", str(path), "--valid-only"])
    assert result.exit_code == 0, result.output
    assert stored_count(wave) == 1
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "responses.import")
    )
    assert event.user_id is None
    assert event.details["imported"] == 1
    # again: the valid row is there already, the other still wrong; the same
    # command does what it did (idempotent), saying so
    result = runner.invoke(args=["sipas", "import", "demo", str(path), "--valid-only"])
    assert result.exit_code == 0, result.output
    assert "bỏ qua 1 đã có, 1 dòng lỗi" in result.output
    assert stored_count(wave) == 1
    # without the flag, nothing new and a problem: refused, saying why
    result = runner.invoke(args=["sipas", "import", "demo", str(path)])
    assert result.exit_code == 1
    assert "1 phiếu còn lại đã được nhập trước đó" in result.output


def test_command_lists_the_first_problems_and_counts_the_rest(
    wave, questionnaire, runner, tmp_path
):
    from sipas.cli.imports import SHOWN_PROBLEMS

    path = tmp_path / "in.csv"
    rows = [make_row(questionnaire, B2="0") for _ in range(SHOWN_PROBLEMS + 7)]
    path.write_bytes(csv_file(rows))
    result = runner.invoke(args=["sipas", "import", "demo", str(path)])
    assert result.exit_code == 1
    assert len(re.findall(r"cột B2", result.output)) == SHOWN_PROBLEMS
    assert "… và 7 lỗi khác." in result.output


def test_command_refuses_an_unknown_wave(demo_app, runner, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("unit\n")
    assert runner.invoke(args=["sipas", "import", "nope", str(path)]).exit_code == 1


def upload(client, data: bytes, name="in.csv"):
    page = client.get("/entry/import").get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    return client.post(
        "/entry/import",
        data={"csrf_token": token, "wave": "demo", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def decide(client, page: str, choice: str):
    return client.post(
        "/entry/import",
        data={
            "csrf_token": CSRF_PATTERN.search(page).group(1),
            "token": TOKEN_PATTERN.search(page).group(1),
            choice: "1",
        },
    )


def test_page_imports_a_clean_file_at_once(demo_client, login_as, wave, questionnaire):
    login_as(demo_client, Role.admin)
    answer = upload(demo_client, csv_file([make_row(questionnaire) for _ in range(2)]))
    assert answer.status_code == 302
    assert stored_count(wave) == 2
    page = demo_client.get("/entry/import").get_data(as_text=True)
    assert "2" in page
    assert 'class="flash flash-success"' in page


def test_page_reports_problems_and_imports_valid_rows_on_request(
    demo_client, login_as, wave, questionnaire
):
    login_as(demo_client, Role.admin)
    rows = [make_row(questionnaire) for _ in range(3)] + [
        make_row(questionnaire, C1="8")
    ]
    answer = upload(demo_client, csv_file(rows))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert re.search(r"<td class=\"num\">5</td><td><code>C1</code>", page)
    assert stored_count(wave) == 0
    assert decide(demo_client, page, "valid_only").status_code == 302
    assert stored_count(wave) == 3
    # the kept file is gone: deciding again imports nothing more
    decide(demo_client, page, "valid_only")
    assert stored_count(wave) == 3


def test_page_import_nothing_forgets_the_file(
    demo_client, login_as, wave, questionnaire
):
    login_as(demo_client, Role.admin)
    rows = [make_row(questionnaire), make_row(questionnaire, unit="XX")]
    page = upload(demo_client, csv_file(rows)).get_data(as_text=True)
    assert decide(demo_client, page, "nothing").status_code == 302
    assert stored_count(wave) == 0
    assert decide(demo_client, page, "valid_only").status_code == 302
    assert stored_count(wave) == 0


def test_another_session_cannot_use_a_kept_file(
    demo_app, login_as, wave, questionnaire
):
    first, second = demo_app.test_client(), demo_app.test_client()
    login_as(first, Role.admin)
    login_as(second, Role.admin)
    rows = [make_row(questionnaire), make_row(questionnaire, unit="XX")]
    page = upload(first, csv_file(rows)).get_data(as_text=True)
    other_page = second.get("/entry/import").get_data(as_text=True)
    second.post(
        "/entry/import",
        data={
            "csrf_token": CSRF_PATTERN.search(other_page).group(1),
            "token": TOKEN_PATTERN.search(page).group(1),
            "valid_only": "1",
        },
    )
    assert stored_count(wave) == 0


def test_page_refuses_surveyor_rows_outside_their_units(
    demo_client, login_as, wave, questionnaire
):
    commune = unit_by_code("QN-HALONG")
    login_as(demo_client, Role.surveyor, unit=commune)
    rows = [make_row(questionnaire), make_row(questionnaire, unit="QN-CAMPHA-TT")]
    answer = upload(demo_client, csv_file(rows))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert re.search(r"<td class=\"num\">3</td><td><code>unit</code>", page)
    decide(demo_client, page, "valid_only")
    stored = db.session.scalars(sa.select(Response)).all()
    assert [r.unit.code for r in stored] == ["QN-HALONG-TT"]


def test_page_takes_files_above_the_site_limit(
    demo_client, login_as, wave, questionnaire
):
    login_as(demo_client, Role.admin)
    rows = [make_row(questionnaire, comment="x" * 900) for _ in range(400)]
    data = csv_file(rows)
    assert len(data) > 256 * 1024
    assert upload(demo_client, data).status_code == 302
    assert stored_count(wave) == 400


def test_page_lists_the_first_500_problems_and_the_total(
    demo_client, login_as, questionnaire
):
    login_as(demo_client, Role.admin)
    rows = [make_row(questionnaire, A1="7") for _ in range(501)]
    page = upload(demo_client, csv_file(rows)).get_data(as_text=True)
    assert page.count('<tr><td class="num">') == 500
    caption = re.search(r"<caption>(.*?)</caption>", page, re.S).group(1)
    assert "500" in caption
    assert "501" in caption
    assert 'name="token"' not in page  # no valid row: nothing to decide


@pytest.mark.parametrize(
    ("name", "data"),
    [("in.xlsx", b"not a workbook"), ("in.csv", b"\xff\xfe\x00"), ("in.txt", b"x")],
)
def test_unreadable_files_are_refused_whole(wave, name, data):
    report = run(wave, data, name=name)
    assert report.file_error
    assert report.imported == 0


def test_a_file_with_a_header_and_no_rows_is_refused_in_words(
    wave, questionnaire, runner, tmp_path
):
    """As an empty file is: "Imported 0" would read as if something had worked."""
    path = tmp_path / "in.csv"
    path.write_bytes(csv_file([make_row(questionnaire)]).split(b"\n", 1)[0] + b"\n")
    result = runner.invoke(args=["sipas", "import", "demo", str(path)])
    assert result.exit_code == 1
    assert "Tệp không có dòng dữ liệu nào." in result.output
    assert stored_count(wave) == 0
