"""Survey rounds in the back office: creation with a design, status flow, unit
targets (grid and import), progress per unit and channel, and who may do what."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook

from sipas.extensions import db
from sipas.models import (
    AuditEvent,
    Channel,
    QuestionnaireVersion,
    Role,
    UnitLevel,
    Wave,
    WaveStatus,
    WaveUnit,
)
from sipas.services.questionnaires import parsed
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from sipas.services.waves.margins import margin_cells, parse_margin_grid
from tests.factories import demo_target, make_response, make_unit, sample_whole_centres

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token(client, path="/admin/") -> str:
    """A CSRF token of the client's session, read from a back-office page."""
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def post(client, path, data=None, **kwargs):
    return client.post(
        path, data={"csrf_token": token(client), **(data or {})}, **kwargs
    )


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


def wave_form(**changes) -> dict:
    version = db.session.scalar(sa.select(QuestionnaireVersion))
    province = unit_by_code("QN")
    form = {
        "code": "2026-q2",
        "title": "Khảo sát quý II năm 2026",
        "questionnaire": str(version.id),
        "starts_on": "2026-04-01",
        "ends_on": "2026-06-30",
        "design_choice": "custom",
        "strata_level": "province",
        "psu_level": "centre",
        "weighting": "unit_population",
        "margin-sex-male": "4900",
        "margin-sex-female": "5.000",
        "margin-sex-other": "100",
        "root_unit": str(province.id),
        "unit_level": "centre",
    }
    form.update(changes)
    return form


# -- margins as a grid ------------------------------------------------------------


@pytest.fixture
def questionnaire(demo_app):
    return parsed(db.session.scalar(sa.select(QuestionnaireVersion)))


def _respondent_questions(questionnaire):
    return [questionnaire.item(code) for code in ("sex", "age_group", "ethnicity")]


def test_the_grid_becomes_the_stored_spec_and_back(questionnaire):
    cells = {
        "margin-sex-male": "4900",
        "margin-sex-female": "5.100",
        "margin-sex-other": "0",
        "margin-ethnicity-kinh": "9000",
        "margin-ethnicity-minority": "1000",
    }
    crossed = {"columns": ["sex", "age_group"], "population": {"male|18_25": 10000}}
    grid = parse_margin_grid(cells, _respondent_questions(questionnaire), [crossed])
    assert grid.errors == {}
    assert grid.spec == {
        "method": "rake",
        "margins": [
            {
                "columns": ["sex"],
                "population": {"male": 4900, "female": 5100, "other": 0},
            },
            {"columns": ["ethnicity"], "population": {"kinh": 9000, "minority": 1000}},
            crossed,
        ],
    }
    assert margin_cells(grid.spec)["margin-sex-female"] == "5100"
    assert "margin-sex|age_group" not in str(margin_cells(grid.spec))
    one = parse_margin_grid(
        {"margin-ethnicity-kinh": "1", "margin-ethnicity-minority": "2"},
        _respondent_questions(questionnaire),
    )
    assert one.spec["method"] == "poststratify"
    assert parse_margin_grid({}, _respondent_questions(questionnaire)).spec is None


@pytest.mark.parametrize(
    ("cells", "cell", "expected"),
    [
        ({"margin-sex-male": "many"}, "margin-sex-male", "whole number"),
        ({"margin-sex-male": "-5"}, "margin-sex-male", "whole number"),
        ({"margin-sex-male": "5"}, "margin-sex-female", "0 if there are none"),
        (
            {
                "margin-sex-male": "5",
                "margin-sex-female": "5",
                "margin-sex-other": "0",
                "margin-ethnicity-kinh": "3",
                "margin-ethnicity-minority": "3",
            },
            "margin-ethnicity-total",
            "same number of people",
        ),
        (
            {"margin-ethnicity-kinh": "0", "margin-ethnicity-minority": "0"},
            "margin-ethnicity-total",
            "add up to zero",
        ),
    ],
)
def test_wrong_cells_say_what_is_wrong(questionnaire, cells, cell, expected):
    with force_locale("en"):
        grid = parse_margin_grid(cells, _respondent_questions(questionnaire))
    assert grid.spec is None
    assert expected in grid.errors[cell]


# -- creating a wave ------------------------------------------------------------


def test_an_admin_creates_a_wave_with_its_design_and_units(demo_client, login_as):
    admin = login_as(demo_client, Role.admin)
    response = post(demo_client, "/admin/waves/new", wave_form())
    assert response.status_code == 302
    wave = wave_by_code("2026-q2")
    assert wave.status is WaveStatus.draft
    assert wave.strata_level is UnitLevel.province
    assert wave.psu_level is UnitLevel.centre
    assert wave.calibration_margins == {
        "method": "poststratify",
        "margins": [
            {
                "columns": ["sex"],
                "population": {"male": 4900, "female": 5000, "other": 100},
            }
        ],
    }
    codes = sorted(wu.unit.code for wu in wave.wave_units)
    assert codes == [
        "QN-CAMPHA-TT",
        "QN-HALONG-TT",
        "QN-TIENYEN-TT",
        "QN-TTHCC",
        "QN-UONGBI-TT",
    ]
    (event,) = events("wave.create")
    assert event.user_id == admin.id
    assert event.object_id == "2026-q2"
    assert event.details["units"] == 5


def test_units_below_a_commune_of_its_level(demo_client, login_as):
    login_as(demo_client, Role.admin)
    commune = unit_by_code("QN-HALONG")
    form = wave_form(
        root_unit=str(commune.id),
        **{f"margin-sex-{code}": "" for code in ("male", "female", "other")},
    )
    assert post(demo_client, "/admin/waves/new", form).status_code == 302
    wave = wave_by_code("2026-q2")
    assert [wu.unit.code for wu in wave.wave_units] == ["QN-HALONG-TT"]
    assert wave.calibration_margins is None


def test_invalid_margins_create_nothing_and_are_explained(demo_client, login_as):
    login_as(demo_client, Role.admin)
    form = wave_form(**{"margin-sex-female": "nhiều", "margin-sex-other": ""})
    with force_locale("vi"):
        response = post(demo_client, "/admin/waves/new", form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # each message next to its cell, tied to the input
    assert re.search(
        r'id="margin-sex-female"[^>]*value="nhiều"[^>]*aria-invalid="true"'
        r'[^>]*aria-describedby="margin-sex-female-error"',
        html,
        re.S,
    ), html
    assert re.search(r'id="margin-sex-other-error">[^<]*0[^<]*<', html)
    # and listed at the top, each a link to its cell
    summary = re.search(r'class="error-summary".*?</div>', html, re.S).group(0)
    assert 'href="#margin-sex-female"' in summary
    assert "Giới tính · Nữ" in summary
    assert wave_by_code("2026-q2") is None
    assert not events("wave.create")


def test_a_taken_code_and_bad_dates_are_refused(demo_client, login_as):
    login_as(demo_client, Role.admin)
    form = wave_form(code="demo", starts_on="2026-06-01", ends_on="2026-05-01")
    response = post(demo_client, "/admin/waves/new", form)
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Wave.id))) == 1


# -- status ----------------------------------------------------------------------


def test_status_flow_and_reopen_needs_a_reason(demo_client, login_as):
    login_as(demo_client, Role.admin)
    wave, _unit = demo_target()
    url = "/admin/waves/demo/status"
    assert post(demo_client, url, {"status": "draft"}).status_code == 400  # not allowed
    assert post(demo_client, url, {"status": "closed"}).status_code == 302
    db.session.refresh(wave)
    assert wave.status is WaveStatus.closed
    response = post(demo_client, url, {"status": "open", "reason": "  "})
    assert response.status_code == 400
    db.session.refresh(wave)
    assert wave.status is WaveStatus.closed
    assert not events("wave.reopen")
    reason = "Bổ sung phiếu giấy còn thiếu"
    assert (
        post(demo_client, url, {"status": "open", "reason": reason}).status_code == 302
    )
    db.session.refresh(wave)
    assert wave.status is WaveStatus.open
    (reopen,) = events("wave.reopen")
    assert reopen.details == {"reason": reason}
    changes = [(e.details["from"], e.details["to"]) for e in events("wave.status")]
    assert changes == [("open", "closed"), ("closed", "open")]


def test_editing_the_design_is_audited(demo_client, login_as):
    login_as(demo_client, Role.admin)
    page = demo_client.get("/admin/waves/demo/edit").get_data(as_text=True)
    assert 'value="2026-01-01"' in page
    form = {
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "design_choice": "custom",
        "strata_level": "province",
        "psu_level": "commune",
        "weighting": "none",
        "margin-sex-male": "50",
        "margin-sex-female": "50",
        "margin-sex-other": "0",
    }
    assert post(demo_client, "/admin/waves/demo/edit", form).status_code == 302
    wave, _unit = demo_target()
    db.session.refresh(wave)
    assert (wave.strata_level, wave.psu_level) == (
        UnitLevel.province,
        UnitLevel.commune,
    )
    assert wave.ends_on.isoformat() == "2026-12-31"
    assert wave.calibration_margins["method"] == "poststratify"
    with force_locale("vi"):
        page = demo_client.get("/admin/waves/demo").get_data(as_text=True)
    assert re.search(r"Giới tính:</strong>\s*Nam 50 · Nữ 50 · Khác 0", page), page
    (event,) = events("wave.update")
    assert set(event.details) == {
        "ends_on",
        "strata_level",
        "psu_level",
        "weighting",
        "calibration_margins",
    }
    # the edit page shows the stored margins in the grid, unfolded
    page = demo_client.get("/admin/waves/demo/edit").get_data(as_text=True)
    assert re.search(r'id="margin-sex-male"[^>]*value="50"', page)
    assert re.search(r'<details class="margin" open data-margin="sex">', page)
    assert re.search(r'value="custom"[^>]*checked|checked[^>]*value="custom"', page)


# -- the design in words ---------------------------------------------------------

DESIGNS = {
    "by_unit": (UnitLevel.centre, None, "unit_population"),
    "two_stage": (UnitLevel.province, UnitLevel.commune, "unit_population"),
    "convenience": (None, None, "none"),
}


@pytest.mark.parametrize("choice", sorted(DESIGNS))
def test_a_design_chosen_in_words_sets_the_technical_settings(
    demo_client, login_as, choice
):
    login_as(demo_client, Role.admin)
    # the technical fields still say something else: the choice decides
    form = wave_form(design_choice=choice, strata_level="district", weighting="none")
    assert post(demo_client, "/admin/waves/new", form).status_code == 302
    wave = wave_by_code("2026-q2")
    assert (wave.strata_level, wave.psu_level, wave.weighting.value) == DESIGNS[choice]


def test_the_form_and_the_round_say_what_each_design_allows(demo_client, login_as):
    login_as(demo_client, Role.admin)
    with force_locale("vi"):
        page = demo_client.get("/admin/waves/new").get_data(as_text=True)
    for phrase in (
        "Tất cả người dân đến giao dịch trong thời gian khảo sát",
        "Chọn xã/phường trước, rồi chọn người dân tại đó",
        "Không theo thiết kế mẫu (lấy ý kiến tự nguyện)",
        "So sánh được giữa các đơn vị",
        "Không suy rộng được cho toàn tỉnh",
    ):
        assert phrase.lower() in page.lower(), phrase
    assert re.search(r'value="by_unit"[^>]*checked|checked[^>]*value="by_unit"', page)
    assert '<details class="technical">' in page
    post(demo_client, "/admin/waves/new", wave_form(design_choice="by_unit"))
    with force_locale("vi"):
        page = demo_client.get("/admin/waves/2026-q2").get_data(as_text=True)
    design = page[page.index("data-design") :]
    assert "So sánh được giữa các đơn vị" in design[: design.index("</ul>")]


def test_the_demo_round_shows_its_design_in_words(demo_client, login_as):
    """The demo samples people at each centre: the first answer, settings folded."""
    login_as(demo_client, Role.admin)
    page = demo_client.get("/admin/waves/demo/edit").get_data(as_text=True)
    assert re.search(r'value="by_unit"[^>]*checked|checked[^>]*value="by_unit"', page)
    assert '<details class="technical">' in page


def test_a_design_no_answer_describes_shows_as_another_design(demo_client, login_as):
    sample_whole_centres(wave_by_code("demo"))
    login_as(demo_client, Role.admin)
    page = demo_client.get("/admin/waves/demo/edit").get_data(as_text=True)
    assert re.search(r'value="custom"[^>]*checked|checked[^>]*value="custom"', page)
    # an expert's settings are shown open, not hidden
    assert '<details class="technical" open>' in page


# -- targets ---------------------------------------------------------------------


def _grid(wave: Wave, **cells) -> dict:
    data = {}
    for wu in wave.wave_units:
        data[f"population-{wu.id}"] = str(wu.population or "")
        data[f"target-{wu.id}"] = str(wu.target_sample or "")
    data.update(cells)
    return data


def test_grid_saves_every_cell(demo_client, login_as):
    login_as(demo_client, Role.admin)
    wave, unit = demo_target()
    wu = next(w for w in wave.wave_units if w.unit_id == unit.id)
    data = _grid(wave, **{f"population-{wu.id}": "6.000", f"target-{wu.id}": "250"})
    assert post(demo_client, "/admin/waves/demo/targets", data).status_code == 302
    db.session.refresh(wu)
    assert (wu.population, wu.target_sample) == (6000, 250)
    (event,) = events("wave.targets")
    assert event.details["units"] == {
        "QN-HALONG-TT": {"from": [5300, 200], "to": [6000, 250]}
    }


def test_grid_with_a_bad_cell_stores_nothing(demo_client, login_as):
    login_as(demo_client, Role.admin)
    wave, unit = demo_target()
    first, second = wave.wave_units[:2]
    data = _grid(
        wave, **{f"population-{first.id}": "9999", f"target-{second.id}": "-3"}
    )
    response = post(demo_client, "/admin/waves/demo/targets", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="target-{second.id}-error"' in html
    assert f'aria-describedby="target-{second.id}-error"' in html
    assert 'value="-3"' in html  # what was typed stays in the cell
    db.session.refresh(first)
    assert first.population != 9999
    assert not events("wave.targets")


def _csv(text: str):
    return {"table": (io.BytesIO(("\ufeff" + text).encode()), "targets.csv")}


def test_population_import_from_csv_and_xlsx(demo_client, login_as):
    login_as(demo_client, Role.admin)
    url = "/admin/waves/demo/targets/import"
    csv_text = "unit_code,population,target_sample\nQN-HALONG-TT,7000,300\n"
    response = post(
        demo_client, url, _csv(csv_text), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    wave, unit = demo_target()
    wu = db.session.scalar(
        sa.select(WaveUnit).filter_by(wave_id=wave.id, unit_id=unit.id)
    )
    assert (wu.population, wu.target_sample) == (7000, 300)

    book = Workbook()
    book.active.append(["unit_code", "population", "target_sample"])
    book.active.append(["QN-HALONG-TT", 7100, 310])
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    data = {"table": (stream, "targets.xlsx")}
    response = post(demo_client, url, data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(wu)
    assert (wu.population, wu.target_sample) == (7100, 310)


def test_population_import_with_bad_rows_stores_nothing(demo_client, login_as):
    login_as(demo_client, Role.admin)
    csv_text = (
        "unit_code,population,target_sample\n"
        "QN-HALONG-TT,8000,300\n"
        "QN-NOWHERE,10,1\n"
        "QN-CAMPHA-TT,lots,1\n"
        "QN-HALONG-TT,1,1\n"
    )
    response = post(
        demo_client,
        "/admin/waves/demo/targets/import",
        _csv(csv_text),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    rows = re.findall(r"<li>(?:Row|Dòng) (\d+):", html)
    assert rows == ["3", "4", "5"]
    wave, unit = demo_target()
    wu = db.session.scalar(
        sa.select(WaveUnit).filter_by(wave_id=wave.id, unit_id=unit.id)
    )
    assert wu.population == 5300
    assert not events("wave.targets")


def test_an_unreadable_file_is_refused(demo_client, login_as):
    login_as(demo_client, Role.admin)
    data = {"table": (io.BytesIO(b"not a workbook"), "targets.xlsx")}
    response = post(
        demo_client,
        "/admin/waves/demo/targets/import",
        data,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert not events("wave.targets")


# -- progress ---------------------------------------------------------------------


def test_progress_per_unit_and_channel(demo_client, login_as):
    make_response("QN-HALONG-TT", channel=Channel.web)
    make_response("QN-HALONG-TT", channel=Channel.kiosk)
    make_response("QN-HALONG-TT", channel=Channel.kiosk)
    make_response("QN-CAMPHA-TT", channel=Channel.paper)
    db.session.commit()
    login_as(demo_client, Role.admin)
    data = demo_client.get("/admin/waves/demo/progress.json").get_json()
    units = {u["code"]: u for u in data["units"]}
    assert units["QN-HALONG-TT"]["by_channel"] == {
        "web": 1,
        "kiosk": 2,
        "paper": 0,
        "interview": 0,
        "import": 0,
    }
    assert units["QN-HALONG-TT"]["responses"] == 3
    assert units["QN-HALONG-TT"]["share_of_target"] == pytest.approx(3 / 200)
    assert units["QN-CAMPHA-TT"]["by_channel"]["paper"] == 1
    assert data["responses"] == 4
    assert data["target_sample"] == 1100
    assert data["by_channel"] == {
        "web": 1,
        "kiosk": 2,
        "paper": 1,
        "interview": 0,
        "import": 0,
    }
    page = demo_client.get("/admin/waves/demo").get_data(as_text=True)
    assert 'data-progress-url="/admin/waves/demo/progress.json"' in page
    assert "js/wave-progress.js" in page


# -- who may do what ---------------------------------------------------------------


def _other_province():
    other = make_unit("HN", level=UnitLevel.province)
    make_unit("HN-TT", level=UnitLevel.centre, parent=other)
    db.session.commit()
    return other


def test_an_analyst_reads_only_the_units_in_scope(demo_client, login_as):
    make_response("QN-HALONG-TT")
    make_response("QN-CAMPHA-TT")
    db.session.commit()
    commune = unit_by_code("QN-HALONG")
    login_as(demo_client, Role.analyst, unit=commune)
    listing = demo_client.get("/admin/").get_data(as_text=True)
    assert "/admin/waves/demo" in listing
    assert "/admin/waves/new" not in listing
    page = demo_client.get("/admin/waves/demo").get_data(as_text=True)
    assert "QN-HALONG-TT" in page
    assert "QN-CAMPHA-TT" not in page
    data = demo_client.get("/admin/waves/demo/progress.json").get_json()
    assert [u["code"] for u in data["units"]] == ["QN-HALONG-TT"]
    assert data["responses"] == 1


def test_an_analyst_of_another_province_sees_no_wave(demo_client, login_as):
    login_as(demo_client, Role.analyst, unit=_other_province())
    listing = demo_client.get("/admin/").get_data(as_text=True)
    assert "/admin/waves/demo" not in listing
    assert demo_client.get("/admin/waves/demo").status_code == 403
    assert demo_client.get("/admin/waves/demo/progress.json").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/admin/waves/new",
        "/admin/waves/demo/status",
        "/admin/waves/demo/edit",
        "/admin/waves/demo/targets",
        "/admin/waves/demo/targets/import",
    ],
)
def test_an_analyst_gets_403_on_every_post(demo_client, login_as, path):
    login_as(demo_client, Role.analyst)
    wave, _unit = demo_target()
    response = post(demo_client, path, {"status": "closed", "code": "x", "title": "x"})
    assert response.status_code == 403
    db.session.refresh(wave)
    assert wave.status is WaveStatus.open
    assert db.session.scalar(sa.select(sa.func.count(Wave.id))) == 1
    assert demo_client.get("/admin/waves/new").status_code == 403


def test_a_wave_page_for_everyone_in_order(demo_client, login_as):
    assert demo_client.get("/admin/waves/demo").status_code == 302  # to the login
    login_as(demo_client, Role.surveyor)
    assert demo_client.get("/admin/waves/demo").status_code == 403
    assert demo_client.get("/admin/waves/nosuch").status_code == 403
