"""The index tree of a round whose questionnaire declares domains: the dashboard's
domain cards and tree table, the workbook's sheet and the PDF's section, each with
the engine's figures."""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import load_workbook

from sipas.extensions import db
from sipas.i18n import format_percent
from sipas.models import Role, WaveStatus
from sipas.reports.figures import interval_text, shown_percent
from sipas.reports.pdf import render_report
from sipas.reports.story import change_mark
from sipas.services import synthetic
from sipas.services.results import dashboard
from sipas.services.waves.lookup import wave_by_code
from tests.factories import DOMAINS, add_domain_questionnaire, make_exit_survey
from tests.results.test_dashboard import page, section
from tests.results.test_report_pdf import keep_page, page_texts, squeeze, write


@pytest.fixture
def domain_round(demo_app, tmp_path):
    """A closed and an open round of the two-domain form, the later one better."""
    form = add_domain_questionnaire(tmp_path)
    make_exit_survey(
        "domains-2025",
        date(2025, 5, 1),
        per_centre=60,
        seed=3,
        shift=-0.08,
        status=WaveStatus.closed,
        questionnaire=form,
    )
    wave = make_exit_survey(
        "domains-2026", date(2026, 5, 1), per_centre=60, seed=4, questionnaire=form
    )
    db.session.commit()
    return wave


def computed(app, wave):
    """The results as the page computes them (Vietnamese)."""
    with app.test_request_context():
        return dashboard.compute_results(wave, None)


def cards(html: str) -> dict[str, str]:
    """Each headline index card's title → its HTML."""
    found = {}
    block = section(html, "headline-title").split('class="cards cards-index', 1)[1]
    block = block.split("</ul>", 1)[0]
    for card in block.split('<li class="card')[1:]:
        title = card.split('<h3 class="card-title">', 1)[1].split("</h3>", 1)[0]
        found[title] = card
    return found


def test_the_engine_takes_sipas_from_the_declared_tree(demo_app, domain_round):
    results = computed(demo_app, domain_round)
    root = results.indices.tree
    policy, services = (d.estimate.value for d in root.children)
    assert [d.code for d in root.children] == list(DOMAINS)
    assert root.estimate.value == pytest.approx(0.6 * policy + 0.4 * services)
    # SIPAS is the tree's root, which the plain mean of the five factors is not
    assert results.indices.overall.estimate == root.estimate
    factor_mean = sum(f.estimate.value for f in results.indices.factors) / 5
    assert root.estimate.value != pytest.approx(factor_mean, abs=1e-9)


def test_the_dashboard_shows_each_domain_with_its_interval_and_change(
    demo_app, demo_client, login_as, domain_round
):
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/domains-2026")
    results = computed(demo_app, domain_round)
    shown = cards(html)
    with demo_app.test_request_context():
        for domain in results.domains:
            card = shown[domain.node.label.get_text("vi")]
            assert shown_percent(domain.result.estimate.value) in card
            assert interval_text(domain.result.interval) in card
            change = results.node_change(domain.code)
            assert change is not None
            assert change.previous.estimate.value < change.current.estimate.value
            mark = change_mark(change)
            assert f"{mark.points} · {mark.verdict}" in card
        sipas = shown["Chỉ số SIPAS"]
        assert shown_percent(results.indices.tree.estimate.value) in sipas
    assert len(shown) == 1 + len(DOMAINS)


def test_the_tree_table_lists_every_node_indented_by_depth(
    demo_app, demo_client, login_as, domain_round
):
    login_as(demo_client, Role.admin)
    table = section(page(demo_client, "/admin/results/domains-2026"), "tree-title")
    results = computed(demo_app, domain_round)
    rows = table.split("<tr class=")[1:]
    assert len(rows) == len(results.tree) == 1 + 2 + 5
    with demo_app.test_request_context():
        for html, row in zip(rows, results.tree, strict=True):
            assert html.startswith(f'"tree-depth-{row.depth}')
            assert '<th scope="row">' in html
            assert shown_percent(row.result.estimate.value) in html
            assert interval_text(row.result.interval) in html
            if row.depth > 0:
                assert results.node_label(row) in html
            if row.depth == 2:
                assert f"{results.parent_label(row)} › " in html


def test_a_2017_round_shows_no_tree_and_its_factor_cards(demo_client, login_as):
    synthetic.add_demo_responses(wave_by_code("demo"), 300, seed=5)
    db.session.commit()
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/demo")
    assert 'id="tree-title"' not in html
    assert "cards-domains" not in html
    assert len(cards(html)) == 6  # SIPAS and the five factors


def flatten(node: dict, depth: int = 0, parent: str | None = None) -> list[tuple]:
    """(node, depth, parent code) of a JSON tree, parents first."""
    rows = [(node, depth, parent)]
    for child in node["children"]:
        rows += flatten(child, depth + 1, node["code"])
    return rows


def test_the_workbook_sheet_of_indices_equals_the_json(
    demo_client, login_as, domain_round
):
    login_as(demo_client, Role.admin)
    document = demo_client.get("/admin/results/domains-2026/download.json").get_json()
    data = demo_client.get("/admin/results/domains-2026/download.xlsx").data
    book = load_workbook(io.BytesIO(data))
    sheet = book["Chỉ số"]
    heading = [c.value for c in sheet[1]]
    assert heading[:4] == ["Mã", "Tên chỉ số", "Cấp", "Chỉ số cấp trên"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    nodes = flatten(document["indices"])
    assert len(rows) == len(nodes) == 8
    for row, (node, depth, parent) in zip(rows, nodes, strict=True):
        code, _name, level, above, index, se, df, deff, lower, upper = row
        assert (code, level, above or None) == (node["code"], depth, parent)
        assert [index, se, df, deff, lower, upper] == pytest.approx(
            [node["index"], node["se"], node["df"], node["deff"], *node["ci"]]
        )
    names = [row[1] for row in rows]
    assert names[:2] == ["Chỉ số SIPAS", DOMAINS["ACCESS"][0]]
    assert sheet.cell(row=2, column=5).number_format == "0.00%"
    # the JSON's overall is the tree's root, and each domain has its change
    assert document["overall"]["index"] == document["indices"]["index"]
    changes = {change["code"]: change for change in document["tree_changes"]}
    for node, _depth, _parent in nodes[1:]:
        change = changes[node["code"]]
        assert change["current"] == pytest.approx(node["index"])
        assert change["difference"] == pytest.approx(
            change["current"] - change["previous"]
        )


def test_the_pdf_report_has_the_domains_in_its_summary_and_the_whole_tree(
    demo_app, demo_client, login_as, domain_round, tmp_path
):
    login_as(demo_client, Role.admin)
    response = demo_client.get("/admin/results/domains-2026/report.pdf")
    assert response.status_code == 200
    pdf = write(tmp_path, response.data)
    pages = [squeeze(text) for text in page_texts(pdf)]
    results = computed(demo_app, domain_round)
    with force_locale("vi"):
        tree_title = _("Index tree")
        key_figures = _("Key figures")
        section_two = "II. " + _("Overall results and results by factor")
        values = {
            results.node_label(row): (
                format_percent(row.result.estimate.value),
                interval_text(row.result.interval),
            )
            for row in results.tree[1:]
        }
    summary = next(k for k, page in enumerate(pages) if key_figures in page)
    tree = next(k for k, page in enumerate(pages) if tree_title in page)
    assert summary < tree
    assert section_two in " ".join(pages[: tree + 1])
    for vi, *_rest in DOMAINS.values():
        # the summary's cards
        assert vi in pages[summary]
        assert values[vi][0] in pages[summary]
    shown = " ".join(pages[tree : tree + 2])
    for name, (value, interval) in values.items():
        assert name in shown
        assert f"{value} {interval}" in shown
    assert "Chỉ số SIPAS gộp từ 2 lĩnh vực" in shown
    for vi, *_rest in DOMAINS.values():
        assert f"{vi} đạt {values[vi][0]} (KTC 95%: {values[vi][1]})" in shown
    for k in (summary, tree):
        keep_page(pdf, k + 1, f"tree-page-{k + 1}.png")


def test_the_pdf_compares_each_domain_with_the_previous_round(
    demo_app, domain_round, tmp_path
):
    with demo_app.test_request_context():
        results = dashboard.compute_results(domain_round, None)
        data = render_report(results)
        changes = {d.code: results.node_change(d.code) for d in results.domains}
        shown = {
            code: [
                format_percent(change.current.estimate.value),
                format_percent(change.previous.estimate.value),
            ]
            for code, change in changes.items()
        }
    pages = [squeeze(text) for text in page_texts(write(tmp_path, data))]
    with force_locale("vi"):
        title = "VI. " + _("Comparison with the previous survey round")
    section = " ".join(pages[next(k for k, p in enumerate(pages) if title in p) :])
    for code, (vi, _en, _weight, _factors) in DOMAINS.items():
        now, before = shown[code]
        assert f"{vi} {now} {before}" in section
