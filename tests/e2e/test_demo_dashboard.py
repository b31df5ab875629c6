"""The dashboard a newcomer opens after `make run`: the demo round has responses,
and its ranking compares the centres (no "cannot be compared" rows)."""

from __future__ import annotations

import pytest

from sipas.extensions import db
from sipas.services.synthetic import rounds
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import assert_accessible, demo_app, serving

pytestmark = pytest.mark.e2e

#: Fewer than `make run` loads (20 000), for speed; the shape is the same.
RESPONSES = 3000


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo as `flask sipas demo` loads it: two rounds with responses."""
    app = demo_app(tmp_path_factory.mktemp("demo-dashboard"))
    with app.app_context():
        rounds.fill_demo_rounds(wave_by_code("demo"), RESPONSES, seed=1)
        db.session.commit()
    with serving(app) as served:
        yield served


def wave_title(app, code: str) -> str:
    with app.app_context():
        return wave_by_code(code).title


def log_in(page, url: str) -> None:
    page.goto(f"{url}/auth/login")
    page.fill("#username", "admin")
    page.fill("#password", "admin-test-password")
    page.press("#password", "Enter")
    page.wait_for_url(f"{url}/admin/")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (360, 740)])
def test_demo_dashboard_shows_results_and_a_ranking_that_compares(
    demo_server, browser, output_dir, width, height
):
    url, app = demo_server
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    log_in(page, url)
    page.goto(f"{url}/admin/results/demo")
    ranking = page.locator("table.ranking")
    rows = ranking.locator("tbody tr")
    assert rows.count() == 5
    assert "†" not in ranking.inner_text()
    assert page.locator("#untestable-legend").count() == 0
    # the change against last year's round is there, row by row
    changes = page.locator("table.changes tbody tr")
    assert changes.count() > 5
    assert wave_title(app, rounds.PREVIOUS_WAVE_CODE) in page.inner_text("main")
    page.screenshot(
        path=output_dir / f"demo-dashboard-{width}x{height}.png", full_page=False
    )
    page.screenshot(
        path=output_dir / f"demo-dashboard-{width}x{height}-full.png", full_page=True
    )
    page.locator("section[aria-labelledby=ranking-title]").screenshot(
        path=output_dir / f"demo-ranking-{width}x{height}.png"
    )
    assert_accessible(page)
    context.close()
