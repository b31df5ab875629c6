"""Results of a round on the national form (sipas-2023): the downloads carry its
columns and index tree, the stats command reads the exported file into the tree of
two domains, and the results page and report show its groups, factors,
perceptions and needs."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import load_workbook

from sipas.extensions import db
from sipas.models import Role
from sipas.reports.story import SVG_HEAT_COLUMNS
from sipas.services import synthetic
from sipas.services.questionnaires import parsed
from tests.factories import make_national_wave
from tests.paper.test_issuing import needs_poppler
from tests.results.test_report_pdf import pdf_text

URL = "/admin/results/national"


@pytest.fixture
def filled(demo_app):
    """The national round with 300 synthetic responses, and its questionnaire."""
    wave = make_national_wave()
    synthetic.add_demo_responses(wave, 300, seed=11)
    db.session.commit()
    return wave, parsed(wave.questionnaire)


@pytest.fixture
def admin_client(demo_client, login_as):
    login_as(demo_client, Role.admin)
    return demo_client


def _tree(node: dict) -> dict[str, dict]:
    """Every node of a JSON index tree by code."""
    found = {node["code"]: node}
    for child in node.get("children", ()):
        found.update(_tree(child))
    return found


def test_the_csv_has_the_stats_columns_then_every_other_answer(filled, admin_client):
    _wave, questionnaire = filled
    data = admin_client.get(f"{URL}/download.csv").data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(data)))
    criteria = [item.code for item in questionnaire.criteria]
    others = [item.code for item in questionnaire.items if not item.is_criterion]
    assert header[:4] == ["response_id", "stratum", "psu", "weight"]
    assert header[4 : 4 + len(criteria)] == criteria
    assert header[4 + len(criteria) : 7 + len(criteria)] == ["unit", "channel", "wave"]
    assert header[7 + len(criteria) :] == others
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == 300
    assert {row["P1_N1"] for row in rows} <= {"none", "some", "many"}
    assert {row["NC10"] for row in rows} <= {"not_needed", "needed", "very_needed"}


def test_the_workbook_and_json_carry_the_form(filled, admin_client):
    _wave, questionnaire = filled
    book = load_workbook(io.BytesIO(admin_client.get(f"{URL}/download.xlsx").data))
    headers = {
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows(max_row=3)
        for cell in row
    }
    assert {"P1_N1", "NC10", "used_service"} <= headers
    document = admin_client.get(f"{URL}/download.json").get_json()
    assert document["meta"]["questionnaire"] == "sipas-2023"
    nodes = _tree(document["indices"])
    assert [n["code"] for n in nodes["overall"]["children"]] == ["POLICY", "SERVICES"]
    shared = {table["item"] for table in document["perceptions"]}
    assert len(shared) == 42
    assert {table["item"] for table in document["expectations"]} == {
        f"NC{n}" for n in range(1, 11)
    }


def test_the_stats_command_reads_the_export_into_two_domains(
    filled, admin_client, runner, tmp_path
):
    _wave, questionnaire = filled
    path = tmp_path / "national.csv"
    path.write_bytes(admin_client.get(f"{URL}/download.csv").data)
    result = runner.invoke(
        args=["sipas", "stats", str(path), "--questionnaire", "sipas-2023"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["meta"]["questionnaire"] == "sipas-2023"
    assert len(document["criteria"]) == 51
    nodes = _tree(document["indices"])
    root = nodes["overall"]
    assert [n["code"] for n in root["children"]] == ["POLICY", "SERVICES"]
    assert [n["code"] for n in nodes["POLICY"]["children"]] == [
        f"P{n}" for n in range(1, 10)
    ]
    assert [n["code"] for n in nodes["SERVICES"]["children"]] == list("ABCDE")
    for node in nodes.values():
        assert node["ci"][0] <= node["index"] <= node["ci"][1]
        assert node["se"] > 0
    # SIPAS weighs policy 0,6 and services 0,4, as the file says
    policy, services = nodes["POLICY"]["index"], nodes["SERVICES"]["index"]
    assert root["index"] == pytest.approx(0.6 * policy + 0.4 * services)
    assert document["overall"]["index"] == pytest.approx(root["index"])
    assert root["index"] != pytest.approx((policy + services) / 2, abs=1e-6)


def test_the_results_page_shows_the_groups_perceptions_and_needs(filled, admin_client):
    _wave, questionnaire = filled
    page = admin_client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for factor in questionnaire.factors:
        assert factor.name["vi"] in html, factor.code
    for code in ("P1_N1", "S_N2", "NC3"):
        assert questionnaire.item(code).label["vi"] in html, code
    # three-way answers: the shares of every answer, not of a "yes"
    with admin_client.application.test_request_context(), force_locale("vi"):
        each = _(
            "Share of respondents giving each answer, with %(level)s confidence "
            "intervals",
            level="",
        )
        yes = _(
            "Share of respondents answering “yes”, with %(level)s confidence intervals",
            level="",
        )
    assert each.strip() in html
    assert yes.strip() not in html


def test_the_heat_map_comes_in_bands_of_readable_width(filled, admin_client):
    _wave, questionnaire = filled
    html = admin_client.get(URL).get_data(as_text=True)
    drawings = re.findall(r'<svg[^>]*class="chart chart-heat".*?</svg>', html, re.S)
    codes = [item.code for item in questionnaire.criteria]
    per_drawing = [[c for c in codes if f">{c}<" in svg] for svg in drawings]
    assert [c for band in per_drawing for c in band] == codes
    assert len(drawings) > 1
    assert all(len(band) <= SVG_HEAT_COLUMNS for band in per_drawing)


@needs_poppler
def test_the_report_pdf_names_every_criterion_legibly(filled, admin_client, tmp_path):
    _wave, questionnaire = filled
    response = admin_client.get(f"{URL}/report.pdf")
    assert response.status_code == 200
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    text = pdf_text(pdf)
    with admin_client.application.test_request_context(), force_locale("vi"):
        heading = _("Which unit is weak on what")
    # the heat map (up to section I): 51 codes side by side would run together
    start = text.index(heading)
    heat_map = text[start : re.search(r"\n\s*I\. ", text[start:]).start() + start]
    for item in questionnaire.criteria:
        assert re.search(rf"(?<!\S){item.code}(?!\S)", heat_map), item.code
