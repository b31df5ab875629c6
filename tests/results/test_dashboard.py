"""The results dashboard: figures as the results service computes them, the
order and marks it promises, scope checks, and the pages for awkward waves."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.i18n import format_percent
from sipas.labels import SIGNAL_LABELS
from sipas.models import ResponseStatus, Role, WaveUnit
from sipas.questionnaire.quality import (
    DEVICE_RATE,
    DEVICE_THROUGHPUT,
    DUPLICATE_ANSWERS,
    FAR_TOO_FAST,
    NO_TIMING,
    SOURCE_BURST,
    STRAIGHT_LINING,
    TOO_FAST,
    signal_mask,
)
from sipas.reports.figures import change_text, interval_text, significance_text
from sipas.services import synthetic
from sipas.services.results import dashboard
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from tests.factories import (
    filled_demo_wave,
    make_exit_survey,
    make_previous_wave,
    make_response,
    sample_whole_centres,
)


@pytest.fixture
def filled_wave(demo_app):
    return filled_demo_wave(600, seed=5)


def computed(app, wave, root=None):
    """The results as the page computes them (Vietnamese, configured thresholds)."""
    with app.test_request_context():
        return dashboard.compute_results(wave, root)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def section(html: str, heading_id: str) -> str:
    """The HTML of the section labelled by ``heading_id``."""
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_results_redirects_to_the_newest_wave(demo_app, demo_client, login_as):
    login_as(demo_client, Role.admin)
    response = demo_client.get("/admin/results")
    assert response.status_code == 302
    assert response.location.endswith("/admin/results/demo")


def test_the_choice_form_redirects_to_the_chosen_wave_and_unit(demo_client, login_as):
    login_as(demo_client, Role.admin)
    response = demo_client.get("/admin/results?wave=demo&unit=QN-HALONG")
    assert response.location.endswith("/admin/results/demo?unit=QN-HALONG")


def test_no_wave_to_show(app, client, login_as):
    login_as(client, Role.admin)
    html = page(client, "/admin/results")
    assert 'class="empty-state"' in html


def test_the_page_shows_the_figures_as_computed(
    filled_wave, demo_app, demo_client, login_as
):
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/demo")
    results = computed(demo_app, filled_wave)
    with demo_app.test_request_context():
        sipas = format_percent(results.indices.overall.estimate.value)
        interval = interval_text(results.indices.overall.interval)
        factors = [format_percent(f.estimate.value) for f in results.indices.factors]
    assert re.fullmatch(r"\d{2},\d{2}%", sipas)
    headline = section(html, "headline-title")
    assert f"<strong>{sipas}</strong>" in headline
    assert interval in headline
    assert re.search(r"\d{2},\d{2}% – \d{2},\d{2}%", interval)
    assert "600" in headline
    factor_table = section(html, "factors-title")
    for value in factors:
        assert value in factor_table
    assert factor_table.count('role="img"') == 1
    assert "<title" in factor_table
    assert "<desc" in factor_table


def test_criteria_are_listed_weakest_first(
    filled_wave, demo_app, demo_client, login_as
):
    login_as(demo_client, Role.admin)
    html = section(page(demo_client, "/admin/results/demo"), "criteria-title")
    shown = re.findall(r'<tr><th scope="row">([A-E]\d)</th>', html)
    expected = [r.code for r in computed(demo_app, filled_wave).criteria_weakest_first]
    assert shown == expected
    assert len(shown) == 22


def test_units_that_cannot_be_told_apart_are_marked(demo_app, demo_client, login_as):
    wave = wave_by_code("demo")
    wave.strata_level = None  # responses as PSUs: close units become ties
    wave.psu_level = None
    synthetic.add_demo_responses(wave, 400, seed=2)
    db.session.commit()
    ranking = computed(demo_app, wave).ranking
    assert any(r.tied_with_next for r in ranking)
    login_as(demo_client, Role.admin)
    html = section(page(demo_client, "/admin/results/demo"), "ranking-title")
    rows = re.findall(r"<tr>\s*<td class=\"num\">(.*?)</tr>", html, re.S)
    assert len(rows) == len(ranking)
    names = {r.unit.code: r.unit.name for r in ranking}
    for ranked, row in zip(ranking, rows, strict=True):
        assert ranked.unit.name in row
        assert ("≈" in row) == ranked.tied_with_next
        for code in ranked.indistinguishable:
            assert names[code] in row.split("</td>")[-2]
    assert 'id="tie-legend"' in html
    assert "†" not in html  # responses are the PSUs: every difference is tested


def test_a_tiny_wave_warns_about_small_samples(demo_app, demo_client, login_as):
    for _ in range(4):
        make_response("QN-HALONG-TT")
    db.session.commit()
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/demo")
    warning = html[html.index('id="small-n-warning"') :]
    assert warning.index("30") < warning.index("</div>")  # the threshold is stated
    assert 'class="small-n"' in section(html, "headline-title")


def test_an_empty_wave_shows_a_friendly_state(demo_client, login_as):
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/demo")
    assert 'class="empty-state"' in html
    assert "headline-title" not in html


def test_units_without_population_give_a_clear_page(filled_wave, demo_client, login_as):
    wave_unit = db.session.scalar(
        sa.select(WaveUnit).where(
            WaveUnit.wave_id == filled_wave.id,
            WaveUnit.unit_id == unit_by_code("QN-CAMPHA-TT").id,
        )
    )
    wave_unit.population = None
    db.session.commit()
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/demo")
    assert "QN-CAMPHA-TT" in html
    assert 'class="notice notice-error"' in html
    # and a way there: the round's grid of populations
    assert 'href="/admin/waves/demo#targets"' in html


def test_analysts_see_their_own_subtree_by_default(
    filled_wave, demo_app, demo_client, login_as
):
    login_as(demo_client, Role.analyst, unit=unit_by_code("QN-HALONG"))
    assert demo_client.get("/admin/results").location.endswith("/admin/results/demo")
    html = page(demo_client, "/admin/results/demo")
    results = computed(demo_app, filled_wave, unit_by_code("QN-HALONG"))
    with demo_app.test_request_context():
        sipas = format_percent(results.indices.overall.estimate.value)
    assert f"<strong>{sipas}</strong>" in html
    # the unit choices stay inside the scope: no whole wave, no other unit
    options = re.findall(r'<option[^>]*value="([^"]*)"', html)
    assert "" not in options
    assert "QN-CAMPHA" not in options
    assert "QN-HALONG" in options


def test_analysts_cannot_open_units_outside_their_scope(
    filled_wave, demo_client, login_as
):
    login_as(demo_client, Role.analyst, unit=unit_by_code("QN-HALONG"))
    assert demo_client.get("/admin/results/demo?unit=QN-CAMPHA").status_code == 403
    assert demo_client.get("/admin/results/demo?unit=QN-HALONG-TT").status_code == 200
    assert demo_client.get("/admin/results/demo?unit=NOPE").status_code == 404
    assert demo_client.get("/admin/results/nope").status_code == 404


def test_surveyors_and_visitors_cannot_read_results(demo_client, login_as):
    assert demo_client.get("/admin/results/demo").status_code == 302  # to login
    login_as(demo_client, Role.surveyor, unit=unit_by_code("QN-HALONG"))
    assert demo_client.get("/admin/results/demo").status_code == 403
    assert demo_client.get("/admin/results").status_code == 403


def test_the_page_links_the_downloads_and_the_report(demo_client, login_as):
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/demo?unit=QN-HALONG")
    for fmt in ("csv", "xlsx", "json"):
        assert f"/admin/results/demo/download.{fmt}?unit=QN-HALONG" in html
    assert "/admin/results/demo/report.pdf?unit=QN-HALONG" in html


def test_the_page_follows_new_responses(filled_wave, demo_client, login_as):
    """The rendered results are reused only while the data is unchanged."""
    login_as(demo_client, Role.admin)
    before = section(page(demo_client, "/admin/results/demo"), "headline-title")
    make_response("QN-HALONG-TT")
    db.session.commit()
    after = section(page(demo_client, "/admin/results/demo"), "headline-title")
    assert "600" in before
    assert "601" in after


def test_change_against_the_previous_wave_is_stated_with_its_significance(
    filled_wave, demo_app, demo_client, login_as
):
    filled_wave.starts_on = date(2026, 1, 1)
    make_previous_wave(filled_wave, 300, seed=8, title="Đợt năm trước")
    db.session.commit()
    results = computed(demo_app, filled_wave)
    overall = next(c for c in results.changes if c.code == "overall")
    login_as(demo_client, Role.admin)
    html = section(page(demo_client, "/admin/results/demo"), "changes-title")
    assert "Đợt năm trước" in html
    first_row = html[html.index("<tbody>") : html.index("</tr>", html.index("<tbody>"))]
    with demo_app.test_request_context():
        now = format_percent(overall.current.estimate.value)
        before = format_percent(overall.previous.estimate.value)
        change = change_text(overall.difference)
        significance = significance_text(overall.difference)
    assert now in first_row
    assert before in first_row
    assert change in first_row
    assert change[0] in "+−±"
    assert re.search(r"p (=|<) 0,\d{3}", significance)
    assert significance in first_row
    rows = re.findall(r"<tr>\s*<th scope=\"row\">", html)
    assert len(rows) == len(results.changes)


def test_units_that_are_single_psus_are_not_called_different(
    filled_wave, demo_app, demo_client, login_as
):
    """In the demo design every centre is one PSU: the design gives their indices
    no variance, so the page says their differences cannot be tested."""
    sample_whole_centres(filled_wave)
    ranking = computed(demo_app, filled_wave).ranking
    assert all(r.overall.estimate.df < 1 for r in ranking)
    login_as(demo_client, Role.admin)
    html = section(page(demo_client, "/admin/results/demo"), "ranking-title")
    assert 'id="untestable-legend"' in html
    rows = re.findall(r"<tr>\s*<td class=\"num\">(.*?)</tr>", html, re.S)
    assert len(rows) == len(ranking)
    assert all("†" in row for row in rows)


def test_one_respondent_group_at_a_time(filled_wave, demo_client, login_as):
    login_as(demo_client, Role.admin)
    first = section(page(demo_client, "/admin/results/demo"), "breakdowns-title")
    assert "Giới tính" in first  # the first question about the respondent
    assert "Từ 18 đến 25 tuổi" not in first
    ages = section(
        page(demo_client, "/admin/results/demo?by=age_group"), "breakdowns-title"
    )
    assert "Từ 18 đến 25 tuổi" in ages
    assert '<option value="age_group" selected>' in ages
    # an unknown question falls back to the first one
    unknown = page(demo_client, "/admin/results/demo?by=nosuch")
    assert "Giới tính" in section(unknown, "breakdowns-title")


def test_units_the_design_cannot_compare_are_said_so_in_words(
    filled_wave, demo_client, login_as
):
    """The demo design samples whole centres: no row may read as "no difference"."""
    sample_whole_centres(filled_wave)
    login_as(demo_client, Role.admin)
    html = section(page(demo_client, "/admin/results/demo"), "ranking-title")
    rows = re.findall(r"<tr>\s*<td class=\"num\">(.*?)</tr>", html, re.S)
    assert len(rows) == 5
    for row in rows:
        assert "Thiết kế mẫu không cho phép so sánh" in row
        assert "≈" not in row
        assert "Không khác biệt rõ" not in row
    assert 'id="untestable-legend"' in html
    assert "không cặp nào trong 10 cặp đơn vị so sánh được" in html


def _quality_rows(html: str) -> dict[str, tuple[str, str]]:
    """Rule → (excluded, counted but marked) as the quality section shows them."""
    rules_table = section(html, "quality-title").split('class="quality-units"')[0]
    rows = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td class="num">(.*?)</td>\s*'
        r'<td class="num">(.*?)</td>',
        rules_table,
    )
    return {
        label: (re.sub("<[^>]+>", "", excluded), re.sub("<[^>]+>", "", marked))
        for label, excluded, marked in rows
    }


def _judged(unit_code: str, signals: list[str], status: ResponseStatus) -> None:
    response = make_response(unit_code).response
    response.quality_signals = signal_mask(signals)
    response.status = status


def test_the_page_counts_what_each_quality_rule_did(demo_client, login_as):
    flagged, counted = ResponseStatus.flagged, ResponseStatus.complete
    for _ in range(3):  # satisfied straight-liners: counted, marked
        _judged("QN-HALONG-TT", [STRAIGHT_LINING], counted)
    for _ in range(2):  # quick straight-liners: excluded
        _judged("QN-HALONG-TT", [STRAIGHT_LINING, TOO_FAST], flagged)
    _judged("QN-HALONG-TT", [TOO_FAST, FAR_TOO_FAST], flagged)
    _judged("QN-HALONG-TT", [], counted)
    _judged("QN-CAMPHA-TT", [STRAIGHT_LINING, DEVICE_RATE], flagged)
    db.session.commit()
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/demo?unit=QN-HALONG-TT")
    rows = _quality_rows(html)
    with demo_client.application.test_request_context():
        names = {code: str(label) for code, label in SIGNAL_LABELS.items()}
    assert rows[names[STRAIGHT_LINING]] == ("2", "3")
    assert rows[names[TOO_FAST]] == ("3", "0")
    assert rows[names[FAR_TOO_FAST]] == ("1", "0")
    assert rows[names[DEVICE_RATE]] == ("0", "0")
    # each response once in the total, also said above the figures
    assert list(rows.values())[-1] == ("3", "3")
    assert re.search(
        r'id="quality-note">[^<]*3 phiếu không được tính[^<]*3 phiếu', html
    )
    # each count links to the responses behind it
    quality = section(html, "quality-title")
    assert (
        "/admin/responses?wave=demo&amp;unit=QN-HALONG-TT&amp;status=flagged"
        "&amp;signal=straight_lining" in quality
    )
    assert "status=complete&amp;signal=straight_lining" in quality
    # the whole wave adds Cẩm Phả's response
    rows = _quality_rows(page(demo_client, "/admin/results/demo"))
    assert rows[names[STRAIGHT_LINING]] == ("3", "3")
    assert rows[names[DEVICE_RATE]] == ("1", "0")


def _unit_rows(html: str) -> dict[str, tuple[str, str, str]]:
    """Unit → (excluded, counted but marked, rules raised) of the per-unit table."""
    table = section(html, "quality-title").split('class="quality-units"')[1]
    rows = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td class="num"[^>]*>(.*?)</td>\s*'
        r'<td class="num"[^>]*>(.*?)</td>\s*<td>(.*?)</td>',
        table,
        re.S,
    )
    return {
        name: tuple(" ".join(re.sub("<[^>]+>", " ", cell).split()) for cell in cells)
        for name, *cells in rows
    }


def test_the_page_counts_flagged_responses_per_unit_and_rule(demo_client, login_as):
    flagged, counted = ResponseStatus.flagged, ResponseStatus.complete
    for _ in range(4):  # a burst of the same answers from one address
        _judged("QN-HALONG-TT", [SOURCE_BURST, DUPLICATE_ANSWERS], flagged)
    _judged("QN-HALONG-TT", [SOURCE_BURST], counted)
    for _ in range(2):  # a kiosk replay
        _judged("QN-CAMPHA-TT", [DEVICE_THROUGHPUT, NO_TIMING], flagged)
    _judged("QN-CAMPHA-TT", [], counted)
    db.session.commit()
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/demo")
    units = _unit_rows(html)
    halong, campha = (unit_by_code(c).name for c in ("QN-HALONG-TT", "QN-CAMPHA-TT"))
    assert list(units) == [halong, campha]  # most excluded first
    assert units[halong][:2] == ("4", "1")
    assert "Nhiều phiếu dồn dập từ một địa chỉ mạng: 5" in units[halong][2]
    assert (
        "Trả lời giống hệt một phiếu khác trong đợt dồn dập đó: 4" in units[halong][2]
    )
    assert units[campha][:2] == ("2", "0")
    assert "Không có thời điểm bắt đầu từ ki-ốt: 2" in units[campha][2]
    quality = section(html, "quality-title")
    assert (
        "/admin/responses?wave=demo&amp;unit=QN-HALONG-TT&amp;status=flagged"
        "&amp;signal=any" in quality
    )
    # a unit with no signal is not listed
    assert len(units) == 2


def test_the_standing_summary_counts_only_what_occurs(demo_app, demo_client, login_as):
    """Four centres above the province and one below: the sentence says so, with
    no "0 units …" parts."""
    make_exit_survey("tn-2026", date(2026, 3, 1))
    login_as(demo_client, Role.admin)
    html = page(demo_client, "/admin/results/tn-2026")
    summary = re.search(r'<p class="ranking-summary">(.*?)</p>', html, re.S)
    assert summary is not None
    text = summary.group(1)
    assert text.startswith("Trong 5 đơn vị: 4 đơn vị cao hơn")
    assert "1 đơn vị thấp hơn có ý nghĩa thống kê" in text
    assert "0 đơn vị" not in text
    assert "không kiểm định được" not in text
