"""A round whose questionnaire declares domains, in a real browser: the domain
cards beside SIPAS in the first screen with the figures of the results JSON, the
table of the whole index tree, nothing sideways on a phone, and no axe finding."""

from __future__ import annotations

import json
from datetime import date

import pytest
from flask_babel import force_locale

from sipas.extensions import db
from sipas.i18n import format_percent
from sipas.models import WaveStatus
from tests.e2e.conftest import admin_window, assert_accessible, demo_app, serving
from tests.factories import DOMAINS, add_domain_questionnaire, make_exit_survey

pytestmark = pytest.mark.e2e

URL = "/admin/results/domains-2026"


@pytest.fixture(scope="module")
def tree_server(tmp_path_factory):
    """Two rounds of the two-domain form, the later one better."""
    folder = tmp_path_factory.mktemp("tree")
    app = demo_app(folder)
    with app.app_context():
        form = add_domain_questionnaire(folder)
        make_exit_survey(
            "domains-2025",
            date(2025, 3, 1),
            120,
            seed=7,
            shift=-0.06,
            status=WaveStatus.closed,
            questionnaire=form,
        )
        make_exit_survey(
            "domains-2026", date(2026, 3, 1), 140, seed=8, questionnaire=form
        )
        db.session.commit()
    with serving(app) as served:
        yield served


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (360, 740)])
def test_the_domains_stand_beside_sipas_with_the_json_figures(
    tree_server, browser, output_dir, width, height
):
    url, app = tree_server
    context, page = admin_window(browser, url, app, width, height)
    page.goto(url + URL)
    page.screenshot(path=str(output_dir / f"dashboard-tree-{width}.png"))
    page.screenshot(
        path=str(output_dir / f"dashboard-tree-{width}-full.png"), full_page=True
    )
    document = json.loads(page.request.get(url + URL + "/download.json").text())
    root = document["indices"]
    cards = page.locator(".cards-index .card")
    assert cards.count() == 1 + len(DOMAINS)
    with app.test_request_context(), force_locale("vi"):
        expected = [format_percent(root["index"])]
        expected += [format_percent(domain["index"]) for domain in root["children"]]
    for k, value in enumerate(expected):
        card = cards.nth(k)
        assert card.locator(".card-value").inner_text().strip() == value
        assert card.locator(".card-change").is_visible()
        if width == 1366:  # the first screen holds SIPAS and the domains
            box = card.bounding_box()
            assert box is not None
            assert box["y"] + box["height"] <= height, k
    titles = [cards.nth(k).locator(".card-title").inner_text() for k in (1, 2)]
    assert titles == [vi for vi, *_rest in DOMAINS.values()]
    table = page.locator("section[aria-labelledby=tree-title] table")
    assert table.locator("tbody tr").count() == 1 + 2 + 5
    assert table.locator("tbody th[scope=row]").count() == 8
    table.scroll_into_view_if_needed()
    page.locator("section[aria-labelledby=tree-title]").screenshot(
        path=str(output_dir / f"dashboard-tree-{width}-table.png")
    )
    indent = [
        table.locator(f"tbody tr.tree-depth-{depth} th").first.evaluate(
            "e => parseFloat(getComputedStyle(e).paddingLeft)"
        )
        for depth in (0, 1, 2)
    ]
    assert indent[0] < indent[1] < indent[2]
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width
    assert_accessible(page)
    context.close()
