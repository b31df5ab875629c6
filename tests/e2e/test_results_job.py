"""An analyst in a real browser opens the results of a round large enough to be
computed by the worker: the page opens at once with the progress, in words read
out to screen readers, and the results take its place when the worker has made
them, without reloading by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.i18n import format_number
from sipas.models import Role, WaveUnit
from sipas.services import accounts, synthetic
from sipas.services.jobs.work import responses_in_scope
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from tests.e2e import conftest as e2e
from tests.e2e.test_export_job import vi
from tests.jobs.workers import start_worker, stop

pytestmark = pytest.mark.e2e

ANALYST, PASSWORD = "analyst-results", "correct-horse-battery-1"
#: Responses added to the round: above the size setting of the test.
RESPONSES = 3000
RESULTS = "() => document.getElementById('headline-title') !== null"


@pytest.fixture(scope="module")
def large_round(tmp_path_factory):
    """A server whose round is computed by the worker above 1,000 responses; the
    worker is started by the test, once the page shows it is waiting."""
    folder = tmp_path_factory.mktemp("results-job")
    app = e2e.jobs_app(folder, JOBS_MIN_RESULTS_RESPONSES=1000)
    with app.app_context():
        wave = wave_by_code("demo")
        synthetic.add_demo_responses(wave, RESPONSES, seed=23)
        accounts.create_user(ANALYST, PASSWORD, Role.analyst)
        db.session.commit()
        with app.test_request_context():
            total = format_number(responses_in_scope(wave, None))
    with e2e.serving(app) as (url, served):
        yield url, served, folder, total


def test_results_computed_by_the_worker_appear_by_themselves(
    browser, large_round, output_dir
):
    url, app, folder, total = large_round
    windows = [
        e2e.admin_window(browser, url, app, width, height, ANALYST, PASSWORD)
        for width, height in ((1366, 768), (360, 740))
    ]
    waiting = vi(
        app, "Waiting for a worker to compute the results of %(n)s responses…", n=total
    )
    for (_context, page), width in zip(windows, (1366, 360), strict=True):
        page.goto(f"{url}/admin/results/demo")
        status = page.get_by_role("status")
        assert status.get_attribute("aria-live") == "polite"
        assert status.text_content() == waiting
        assert not page.evaluate(RESULTS)
        e2e.assert_accessible(page)
        page.screenshot(
            path=output_dir / f"results-job-waiting-{width}.png", full_page=True
        )
    worker = start_worker(app.config, folder)
    try:
        ready = vi(app, "The results of %(n)s responses are ready.", n=total)
        for (_context, page), width in zip(windows, (1366, 360), strict=True):
            e2e.wait_until(page, RESULTS, seconds=120)
            assert page.get_by_role("status").text_content() == ready
            assert page.locator("progress").count() == 0
            e2e.assert_accessible(page)
            page.screenshot(
                path=output_dir / f"results-job-ready-{width}.png", full_page=True
            )
    finally:
        stop(worker)
    _context, page = windows[0]
    new_responses_then_a_failure(app, folder, page, output_dir)
    for context, _page in windows:
        context.close()


def new_responses_then_a_failure(app, folder, page, output_dir) -> None:
    """New responses: the last results, marked with their time, while a new job
    waits; then a unit loses its population: the job fails, the page says why
    (reloaded by its script) and offers to try again."""
    with app.app_context():
        wave = wave_by_code("demo")
        synthetic.add_demo_responses(wave, 5, seed=24)
        db.session.commit()
    page.reload()
    assert page.evaluate(RESULTS)  # the earlier results …
    assert "chưa gồm các phiếu mới" in page.locator(".results-pending").inner_text()
    assert page.get_by_role("status").text_content().startswith("Đang chờ")
    e2e.assert_accessible(page)
    page.screenshot(path=output_dir / "results-job-stale-1366.png", full_page=False)
    with app.app_context():
        wave_unit = db.session.scalar(
            sa.select(WaveUnit).where(
                WaveUnit.wave_id == wave_by_code("demo").id,
                WaveUnit.unit_id == unit_by_code("QN-CAMPHA-TT").id,
            )
        )
        wave_unit.population = None
        db.session.commit()
    page.reload()
    worker = start_worker(app.config, folder)
    try:
        again = page.get_by_role("button", name=vi(app, "Try again"))
        again.wait_for(state="visible", timeout=120_000)
    finally:
        stop(worker)
    assert "QN-CAMPHA-TT" in page.locator(".notice-error").inner_text()
    e2e.assert_accessible(page)
    page.screenshot(path=output_dir / "results-job-failed-1366.png", full_page=False)
