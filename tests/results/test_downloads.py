"""Downloads of a wave's results (CSV with BOM, XLSX, JSON) from the pages and the
`flask sipas export` command: content, scope, audit trail and errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask.globals import app_ctx
from openpyxl import load_workbook

from sipas.extensions import db
from sipas.models import AuditEvent, Response, Role, Unit, Wave, WaveUnit
from sipas.services.results import dashboard, exports
from sipas.services.units.lookup import unit_by_code
from sipas.services.units.tree import subtree_ids
from tests.factories import filled_demo_wave, sample_whole_centres

BOM = b"\xef\xbb\xbf"
VIETNAM = "Asia/Ho_Chi_Minh"


@pytest.fixture
def filled_wave(demo_app):
    return filled_demo_wave(300, seed=3)


@pytest.fixture
def admin_client(demo_client, login_as):
    login_as(demo_client, Role.admin)
    return demo_client


@pytest.fixture
def big_wave(demo_app, monkeypatch):
    """The demo wave with 1,200 responses: three chunks of the streamed CSV, read
    in three batches."""
    monkeypatch.setattr(exports, "BATCH", 500)
    return filled_demo_wave(1200, seed=5)


@pytest.fixture
def own_contexts(demo_app):
    """Requests then make and end their own app context (and database session), as
    on a real server: otherwise the test's context lends every request one session
    that outlives it, and a streamed body never meets a session that has ended."""
    context = app_ctx._get_current_object()
    context.pop()
    yield demo_app
    context.push()


def export_events(app, fmt: str = "csv") -> list[AuditEvent]:
    """The download events of ``fmt`` recorded so far."""
    with app.app_context():
        return db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == f"export.{fmt}")
        ).all()


def cli_csv(runner, tmp_path, *unit: str) -> bytes:
    """The stats CSV as `flask sipas export demo` writes it."""
    target = tmp_path / "cli.csv"
    with runner.app.app_context():  # as `flask` gives its commands
        result = runner.invoke(
            args=["sipas", "export", "demo", "-o", str(target), *unit]
        )
    assert result.exit_code == 0, result.output
    return target.read_bytes()


def computed(app, wave, root=None):
    with app.test_request_context():
        return dashboard.compute_results(wave, root)


def subtree_responses(wave: Wave, root: Unit) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Response.wave_id == wave.id, Response.unit_id.in_(subtree_ids(root.id))
        )
    )


def test_csv_has_a_bom_and_the_stats_header(filled_wave, admin_client):
    response = admin_client.get("/admin/results/demo/download.csv")
    assert response.status_code == 200
    assert response.data.startswith(BOM)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sipas-demo.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == next(exports.stats_csv_rows(filled_wave))
    assert rows[0][:5] == ["response_id", "stratum", "psu", "weight", "A1"]
    assert len(rows) == 301
    # the file is the stats CSV (DESIGN §5): the same text as the service makes
    assert response.data.decode("utf-8-sig") == exports.stats_csv(filled_wave)


@pytest.mark.parametrize("unit", [None, "QN-TTHCC"])
def test_csv_is_streamed_after_the_request_has_ended(
    big_wave, admin_client, own_contexts, runner, tmp_path, unit
):
    query = f"?unit={unit}" if unit else ""
    response = admin_client.get(f"/admin/results/demo/download.csv{query}")
    assert response.status_code == 200
    data = response.get_data()
    assert data.decode("utf-8-sig").count("\n") > exports.BATCH + 1
    assert data == cli_csv(runner, tmp_path, *(["--unit", unit] if unit else []))
    served = [e for e in export_events(own_contexts) if not e.details.get("cli")]
    assert [(e.details["unit"], e.user_id is not None) for e in served] == [
        (unit, True)
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_only_a_download_served_to_the_end_is_audited(
    big_wave, admin_client, own_contexts, fmt
):
    cut_short = admin_client.get(f"/admin/results/demo/download.{fmt}", buffered=False)
    assert next(cut_short.response)  # the client reads the first chunk, then leaves
    cut_short.close()
    assert export_events(own_contexts, fmt) == []
    served = admin_client.get(f"/admin/results/demo/download.{fmt}")
    assert served.status_code == 200
    assert served.get_data()  # read to the end
    assert len(export_events(own_contexts, fmt)) == 1


def test_csv_of_a_unit_holds_only_its_subtree(filled_wave, admin_client):
    response = admin_client.get("/admin/results/demo/download.csv?unit=QN-HALONG")
    assert (
        'filename="sipas-demo-QN-HALONG.csv"' in response.headers["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {row["unit"] for row in rows} == {"QN-HALONG-TT"}
    assert len(rows) == subtree_responses(filled_wave, unit_by_code("QN-HALONG"))


def test_downloads_are_audited(filled_wave, admin_client):
    for fmt in ("csv", "xlsx", "json"):
        response = admin_client.get(
            f"/admin/results/demo/download.{fmt}?unit=QN-HALONG"
        )
        assert response.status_code == 200
        response.get_data()  # the event is recorded once the whole file has gone
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("export.%"))
    ).all()
    assert [e.action for e in events] == ["export.csv", "export.xlsx", "export.json"]
    assert events[0].details == {"wave": "demo", "unit": "QN-HALONG", "format": "csv"}
    assert all(e.user_id is not None for e in events)


def test_xlsx_has_responses_with_labels_and_numeric_tables(
    filled_wave, demo_app, admin_client
):
    response = admin_client.get("/admin/results/demo/download.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    # responses, six dashboard tables (no previous wave: no sheet of changes) and
    # the index tree
    assert len(book.sheetnames) == 8
    assert book.sheetnames[-1] == "Chỉ số"
    answers = book.worksheets[0]
    wording = [c.value for c in answers[1]]
    codes = [c.value for c in answers[2]]
    assert answers.freeze_panes == "B3"
    a1 = codes.index("A1")
    assert wording[a1].startswith("Việc niêm yết") or len(wording[a1]) > 20
    assert answers.max_row == 2 + 300
    sexes = {row[codes.index("sex")].value for row in answers.iter_rows(min_row=3)}
    assert sexes <= {"Nam", "Nữ", "Khác", None}
    assert "Nữ" in sexes
    scale = {row[a1].value for row in answers.iter_rows(min_row=3)}
    assert "Hài lòng" in scale
    first = db.session.scalar(sa.select(Response).order_by(Response.id).limit(1))
    local = first.submitted_at.replace(tzinfo=UTC).astimezone(ZoneInfo(VIETNAM))
    shown = answers.cell(row=3, column=codes.index("submitted_at") + 1).value
    assert abs(shown - local.replace(tzinfo=None)) < timedelta(milliseconds=1)
    results = computed(demo_app, filled_wave)
    summary = book.worksheets[1]
    overall = summary.cell(row=2, column=4)
    assert overall.value == pytest.approx(results.indices.overall.estimate.value)
    assert overall.number_format == "0.00%"
    assert summary.freeze_panes == "A2"
    criteria = book.worksheets[2]
    assert [criteria.cell(row=r, column=1).value for r in range(2, 24)] == [
        r.code for r in results.criteria_weakest_first
    ]


def test_json_has_the_design_document_shape(filled_wave, demo_app, admin_client):
    response = admin_client.get("/admin/results/demo/download.json?unit=QN-HALONG")
    assert response.status_code == 200
    document = json.loads(response.data)
    assert set(document) == {
        "meta",
        "criteria",
        "factors",
        "overall",
        "indices",
        "ranking",
        "breakdowns",
        "perceptions",
        "expectations",
        "changes",
        "tree_changes",
        "heatmap",
        "key_shares",
        "trend",
    }
    meta = document["meta"]
    for key in ("rows", "strata", "psus", "df", "level", "ci_method", "questionnaire"):
        assert key in meta
    assert meta["unit"] == "QN-HALONG"
    assert meta["rows"] == subtree_responses(filled_wave, unit_by_code("QN-HALONG"))
    assert len(document["criteria"]) == 22
    assert {"code", "factor", "n", "satisfied", "index", "se", "df", "ci"} <= set(
        document["criteria"][0]
    )
    fractions = [c["index"] for c in document["criteria"]]
    fractions += [f["index"] for f in document["factors"]]
    fractions += [*document["overall"]["ci"], document["overall"]["index"]]
    assert all(0 <= value <= 1 for value in fractions)
    assert document["indices"]["index"] == document["overall"]["index"]
    assert [n["code"] for n in document["indices"]["children"]] == list("ABCDE")
    results = computed(demo_app, filled_wave, unit_by_code("QN-HALONG"))
    assert document["overall"]["index"] == pytest.approx(
        results.indices.overall.estimate.value
    )
    channel = document["breakdowns"][0]
    assert channel["column"] == "channel"
    assert channel["groups"][0]["criteria"]
    harassment = document["perceptions"][0]
    assert {s["option"] for s in harassment["shares"]} <= {"yes", "no"}
    # the heat map's cells: each ranked unit's criteria and where they stand
    assert [row["unit"] for row in document["heatmap"]] == [
        r.unit.code for r in results.ranking
    ]
    for row, ranked in zip(document["heatmap"], results.ranking, strict=True):
        assert [c["code"] for c in row["criteria"]] == [
            c.code for c in ranked.indices.criteria
        ]
        assert {c["standing"] for c in row["criteria"]} <= {
            "above",
            "below",
            "not_different",
            "untestable",
        }
    assert document["trend"][-1]["overall"] == document["overall"]


def test_downloads_respect_the_scope(filled_wave, demo_client, login_as):
    login_as(demo_client, Role.analyst, unit=unit_by_code("QN-HALONG"))
    assert (
        demo_client.get("/admin/results/demo/download.csv?unit=QN-CAMPHA").status_code
        == 403
    )
    own = demo_client.get("/admin/results/demo/download.csv")
    rows = list(csv.DictReader(io.StringIO(own.data.decode("utf-8-sig"))))
    assert {row["unit"] for row in rows} == {"QN-HALONG-TT"}
    assert demo_client.get("/admin/results/demo/download.pdf").status_code == 404


def test_a_wave_that_cannot_be_weighted_gives_a_message(filled_wave, admin_client):
    db.session.scalar(
        sa.select(WaveUnit).where(WaveUnit.unit_id == unit_by_code("QN-CAMPHA-TT").id)
    ).population = None
    db.session.commit()
    for fmt in ("csv", "xlsx", "json"):
        response = admin_client.get(f"/admin/results/demo/download.{fmt}")
        assert response.status_code == 409
        assert "QN-CAMPHA-TT" in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action.like("export.%"))
        )
        == 0
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_cli_export_writes_each_format(filled_wave, runner, tmp_path, fmt):
    target = tmp_path / f"out.{fmt}"
    result = runner.invoke(
        args=["sipas", "export", "demo", "--format", fmt, "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    data = target.read_bytes()
    if fmt == "csv":
        assert data.startswith(BOM)
        assert data.decode("utf-8-sig").count("\n") == 301
    elif fmt == "json":
        assert json.loads(data)["meta"]["rows"] == 300
    else:
        assert load_workbook(io.BytesIO(data)).worksheets[0].max_row == 302
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == f"export.{fmt}")
    )
    assert event.user_id is None
    assert event.details["wave"] == "demo"


def test_cli_export_of_a_unit(filled_wave, runner, tmp_path):
    target = tmp_path / "unit.json"
    result = runner.invoke(
        args=["sipas", "export", "demo", "--format", "json", "-o", str(target)]
        + ["--unit", "QN-HALONG"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["meta"]["unit"] == "QN-HALONG"


@pytest.mark.parametrize(
    ("args", "named"),
    [(["nope"], "nope"), (["demo", "--unit", "NOPE"], "NOPE")],
)
def test_cli_export_refuses_unknown_waves_and_units(
    demo_app, runner, tmp_path, args, named
):
    target = tmp_path / "x.csv"
    result = runner.invoke(args=["sipas", "export", *args, "-o", str(target)])
    assert result.exit_code == 1
    assert named in result.output
    assert not target.exists()


def test_cli_export_cut_short_leaves_the_earlier_file_whole(
    filled_wave, runner, tmp_path, monkeypatch
):
    """Interrupted half-way (Ctrl+C, a full disk, an error), the export leaves
    the file that was there as it was, and no half of the new one."""
    from sipas.services.results import dashboard

    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "out.csv"
    target.write_bytes(b"the export of yesterday")

    def cut_short(*_args, **_kwargs):
        yield b"response_id,stratum\n"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dashboard, "export_file", cut_short)
    result = runner.invoke(args=["sipas", "export", "demo", "-o", str(target)])
    assert result.exit_code == 1
    assert "ổ đĩa đã đầy" in result.output
    assert target.read_bytes() == b"the export of yesterday"
    assert sorted(p.name for p in folder.iterdir()) == ["out.csv"]


@pytest.mark.parametrize(
    ("output", "said"),
    [
        ("nope/out.csv", "thư mục không tồn tại"),
        ("-", "Hãy chỉ định tệp để ghi dữ liệu xuất"),
        ("design.R", "sẽ ghi đè lên tệp dữ liệu xuất"),
    ],
)
def test_cli_export_refuses_a_file_it_cannot_write_in_words(
    filled_wave, runner, tmp_path, monkeypatch, output, said
):
    folder = tmp_path / "exports"
    folder.mkdir()
    monkeypatch.chdir(folder)
    result = runner.invoke(
        args=["sipas", "export", "demo", "-o", output, "--design-syntax", "r"]
    )
    assert result.exit_code == 1
    assert said in result.output
    assert "Traceback" not in result.output
    assert list(folder.iterdir()) == []


def test_a_wave_without_responses_downloads_empty_files(admin_client):
    csv_file = admin_client.get("/admin/results/demo/download.csv")
    assert csv_file.status_code == 200
    assert csv_file.data.decode("utf-8-sig").count("\n") == 1  # the header alone
    document = admin_client.get("/admin/results/demo/download.json").get_json()
    assert document["meta"]["rows"] == 0
    assert document["overall"]["index"] is None


def test_xlsx_ranking_says_which_units_the_design_cannot_compare(
    filled_wave, admin_client
):
    sample_whole_centres(filled_wave)
    response = admin_client.get("/admin/results/demo/download.xlsx")
    ranking = load_workbook(io.BytesIO(response.data))["Xếp hạng"]
    header = [c.value for c in ranking[1]]
    comparison = header.index("So sánh với các đơn vị khác")
    same = header.index("Không phân biệt được với")
    rows = list(ranking.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5
    for row in rows:
        assert row[comparison].startswith("Thiết kế mẫu không cho phép so sánh")
        assert not row[same]


def test_json_ranking_separates_untested_from_indistinguishable(
    filled_wave, admin_client
):
    sample_whole_centres(filled_wave)
    document = json.loads(admin_client.get("/admin/results/demo/download.json").data)
    for row in document["ranking"]:
        assert row["indistinguishable"] == []
        assert len(row["untestable"]) == 4
        assert row["tied_with_next"] is False
