"""The results dashboard in a real browser: the first screen tells the story (key
figures in view at 1366×768), the ranking shows real differences, the heat map
draws what the results JSON says, nothing scrolls sideways on a phone."""

from __future__ import annotations

import json
from datetime import date

import pytest
from flask_babel import force_locale

from sipas.extensions import db
from sipas.i18n import format_percent
from sipas.models import WaveStatus
from tests.e2e.conftest import admin_window, assert_accessible, demo_app, serving
from tests.factories import make_exit_survey

pytestmark = pytest.mark.e2e

URL = "/admin/results/tn-2026"
#: Sections of the page kept as pictures for people to look at.
SECTIONS = (
    "standing-title",
    "heat-title",
    "trend-title",
    "factors-title",
    "criteria-title",
)


@pytest.fixture(scope="module")
def story_server(tmp_path_factory):
    """A province surveyed at its centres in 2025 and 2026 (each centre a stratum,
    people sampled inside), centres that differ clearly."""
    app = demo_app(tmp_path_factory.mktemp("dashboard"))
    with app.app_context():
        make_exit_survey(
            "tn-2025",
            date(2025, 3, 1),
            220,
            seed=7,
            shift=-0.04,
            status=WaveStatus.closed,
        )
        make_exit_survey("tn-2026", date(2026, 3, 1), 260, seed=8)
        db.session.commit()
    with serving(app) as served:
        yield served


def test_the_first_screen_shows_the_key_figures(story_server, browser, output_dir):
    url, app = story_server
    context, page = admin_window(browser, url, app, 1366, 768)
    page.goto(url + URL)
    page.screenshot(path=str(output_dir / "dashboard-1366.png"))
    page.screenshot(path=str(output_dir / "dashboard-1366-full.png"), full_page=True)
    cards = page.locator(".key-figures .card")
    assert cards.count() == 10  # SIPAS, five factors, four perception figures
    for k in range(cards.count()):
        box = cards.nth(k).bounding_box()
        assert box is not None
        assert box["y"] >= 0, k
        assert box["y"] + box["height"] <= 768, k
        assert box["x"] >= 0, k
        assert box["x"] + box["width"] <= 1366, k
    # every index card says how it changed since 2025, in words
    changes = page.locator(".cards-index .card-change")
    assert changes.count() == 6
    for section in SECTIONS:
        page.locator(f"section[aria-labelledby={section}]").screenshot(
            path=str(output_dir / f"dashboard-1366-{section.split('-')[0]}.png")
        )
    context.close()


def test_the_ranking_shows_significant_differences(story_server, browser):
    url, app = story_server
    context, page = admin_window(browser, url, app, 1366, 768)
    page.goto(url + URL)
    document = json.loads(page.request.get(f"{url}{URL}/download.json").text())
    chart = page.locator("section[aria-labelledby=standing-title] .chart-wide svg")
    assert chart.get_attribute("role") == "img"
    # the scope's SIPAS is the line the units are read against
    with app.test_request_context(), force_locale("vi"):
        sipas = format_percent(document["overall"]["index"], 1)
    assert f"Tỉnh Thử Nghiệm: {sipas}" in chart.text_content()
    rows = page.locator("section[aria-labelledby=standing-title] details tbody tr")
    shown = {
        rows.nth(k).get_attribute("data-unit"): rows.nth(k).get_attribute(
            "data-standing"
        )
        for k in range(rows.count())
    }
    assert shown == {r["unit"]: r["standing"] for r in document["ranking"]}
    assert "above" in shown.values()
    assert "below" in shown.values()
    # one mark per unit in the chart, by shape: ▲ above and ▼ below are polygons
    marks = chart.locator("polygon")
    assert marks.count() == sum(s in ("above", "below") for s in shown.values())
    context.close()


def test_the_heat_map_draws_the_results_json(story_server, browser, output_dir):
    url, app = story_server
    context, page = admin_window(browser, url, app, 1366, 768)
    page.goto(url + URL)
    document = json.loads(page.request.get(f"{url}{URL}/download.json").text())
    drawn = page.eval_on_selector_all(
        "svg.chart-heat g.heat-cell[data-unit]:not([data-unit=''])",
        """cells => cells.map(c => ({
            unit: c.dataset.unit,
            criterion: c.dataset.criterion,
            text: c.querySelector('text').textContent,
            below: c.dataset.below === '1',
            suppressed: c.dataset.suppressed === '1'}))""",
    )
    expected = []
    for row in document["heatmap"]:
        for cell in row["criteria"]:
            suppressed = cell["small"] or cell["index"] is None
            expected.append(
                {
                    "unit": row["unit"],
                    "criterion": cell["code"],
                    "text": "*" if suppressed else str(round(cell["index"] * 100)),
                    "below": cell["standing"] == "below" and not suppressed,
                    "suppressed": suppressed,
                }
            )
    assert drawn == expected
    assert any(cell["below"] for cell in drawn)
    assert len(drawn) == 5 * 22
    assert_accessible(page)
    # every chart has its figures in a table behind a disclosure
    for section in ("standing-title", "heat-title", "trend-title"):
        summary = page.locator(f"#{section} ~ details.chart-data summary")
        summary.click()
        assert page.locator(f"#{section} ~ details.chart-data table").is_visible()
    assert_accessible(page)
    context.close()


#: The texts of the charts shown that reach beyond their chart's drawing.
CLIPPED_TEXTS = """() => [...document.querySelectorAll("figure.chart-figure svg")]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .flatMap(svg => {
    const box = svg.viewBox.baseVal;
    return [...svg.querySelectorAll("text")].filter(text => {
      const drawn = text.getBBox();
      return drawn.x < box.x - 1 || drawn.x + drawn.width > box.x + box.width + 1;
    }).map(text => text.textContent);
  })"""


def test_a_phone_scrolls_the_charts_not_the_page(story_server, browser, output_dir):
    url, app = story_server
    context, page = admin_window(
        browser, url, app, 360, 740, has_touch=True, is_mobile=True
    )
    page.goto(url + URL)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    # no chart's words run past its edge (a line's label at its end, a legend)
    assert page.evaluate(CLIPPED_TEXTS) == []
    assert page.locator("figure.chart-narrow svg.chart-trend").count() == 1
    page.screenshot(path=str(output_dir / "dashboard-360.png"))
    page.screenshot(path=str(output_dir / "dashboard-360-full.png"), full_page=True)
    for section in ("headline-title", "standing-title", "heat-title"):
        page.locator(f"section[aria-labelledby={section}]").screenshot(
            path=str(output_dir / f"dashboard-360-{section.split('-')[0]}.png")
        )
    assert_accessible(page)
    context.close()
