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
from sipas.services.waves.margins import MarginError, margins_text, parse_margins
from tests.factories import demo_target, make_response, make_unit

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
        "strata_level": "province",
        "psu_level": "centre",
        "weighting": "unit_population",
        "calibration_method": "rake",
        "calibration_margins": "sex: male=4900, female=5000, other=100\n"
        "sex,age_group: male|18_25=10000",
        "root_unit": str(province.id),
        "unit_level": "centre",
    }
    form.update(changes)
    return form


# -- margins as text -------------------------------------------------------------


@pytest.fixture
def questionnaire(demo_app):
    return parsed(db.session.scalar(sa.select(QuestionnaireVersion)))


def test_margins_text_becomes_the_stored_spec_and_back(questionnaire):
    text = (
        "sex: male=4900, female=5100\n"
        "sex, age_group: male|18_25=6000, female|18_25=4000"
    )
    spec = parse_margins(text, "rake", questionnaire)
    assert spec == {
        "method": "rake",
        "margins": [
            {"columns": ["sex"], "population": {"male": 4900, "female": 5100}},
            {
                "columns": ["sex", "age_group"],
                "population": {"male|18_25": 6000, "female|18_25": 4000},
            },
        ],
    }
    assert parse_margins(margins_text(spec), "rake", questionnaire) == spec
    assert parse_margins("", "", questionnaire) is None


@pytest.mark.parametrize(
    ("text", "method", "expected"),
    [
        ("nosuch: a=1", "rake", "no question nosuch"),
        ("A1: 1=5", "rake", "A1 is not a single-choice"),
        ("sex: man=5", "rake", '"man" is not an option code'),
        ("sex: male=5, male=6", "rake", "given twice"),
        ("sex: male=many", "rake", "whole number"),
        ("sex,age_group: male=5", "rake", 'needs 2 values joined with "|"'),
        ("sex male=5", "rake", "question: value=count"),
        ("sex: male=5\nethnicity: kinh=6", "rake", "same population total"),
        ("sex: male=5\nethnicity: kinh=5", "poststratify", "exactly one margin"),
        ("sex: male=5", "", "Choose a calibration method"),
    ],
)
def test_wrong_margins_say_what_is_wrong(questionnaire, text, method, expected):
    with force_locale("en"), pytest.raises(MarginError) as error:
        parse_margins(text, method, questionnaire)
    assert any(expected in message for message in error.value.messages)


# -- creating a wave ------------------------------------------------------------


def test_an_admin_creates_a_wave_with_its_design_and_units(demo_client, login_as):
    admin = login_as(demo_client, Role.admin)
    form = wave_form(calibration_margins="sex: male=4900, female=5000, other=100")
    response = post(demo_client, "/admin/waves/new", form)
    assert response.status_code == 302
    wave = wave_by_code("2026-q2")
    assert wave.status is WaveStatus.draft
    assert wave.strata_level is UnitLevel.province
    assert wave.psu_level is UnitLevel.centre
    assert wave.calibration_margins == {
        "method": "rake",
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
        root_unit=str(commune.id), calibration_method="", calibration_margins=""
    )
    assert post(demo_client, "/admin/waves/new", form).status_code == 302
    wave = wave_by_code("2026-q2")
    assert [wu.unit.code for wu in wave.wave_units] == ["QN-HALONG-TT"]
    assert wave.calibration_margins is None


def test_invalid_margins_create_nothing_and_are_explained(demo_client, login_as):
    login_as(demo_client, Role.admin)
    form = wave_form(calibration_margins="sex: male=10, nobody=5\nA1: 1=15")
    response = post(demo_client, "/admin/waves/new", form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "nobody" in html
    assert "A1" in html
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
        "strata_level": "province",
        "psu_level": "",
        "weighting": "none",
        "calibration_method": "poststratify",
        "calibration_margins": "sex: male=50, female=50, other=0",
    }
    assert post(demo_client, "/admin/waves/demo/edit", form).status_code == 302
    wave, _unit = demo_target()
    db.session.refresh(wave)
    assert wave.psu_level is None
    assert wave.ends_on.isoformat() == "2026-12-31"
    assert wave.calibration_margins["method"] == "poststratify"
    page = demo_client.get("/admin/waves/demo").get_data(as_text=True)
    assert "sex: male=50, female=50, other=0" in page
    (event,) = events("wave.update")
    assert set(event.details) == {
        "ends_on",
        "psu_level",
        "weighting",
        "calibration_margins",
    }


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
    }
    assert units["QN-HALONG-TT"]["responses"] == 3
    assert units["QN-HALONG-TT"]["share_of_target"] == pytest.approx(3 / 200)
    assert units["QN-CAMPHA-TT"]["by_channel"]["paper"] == 1
    assert data["responses"] == 4
    assert data["target_sample"] == 1100
    assert data["by_channel"] == {"web": 1, "kiosk": 2, "paper": 1, "interview": 0}
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
