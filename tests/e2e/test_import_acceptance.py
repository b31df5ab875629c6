"""An administrator accepts a surveyor's import in a real browser, and a hostile
workbook is refused on the import page with its reason (issue 18 items 3, 5)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Response, ResponseStatus
from sipas.services.questionnaires import parsed
from sipas.services.responses import imports
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import admin_window, assert_accessible, demo_app, serving
from tests.hostile_workbooks import far_right
from tests.responses.test_imports import csv_file, make_row

pytestmark = pytest.mark.e2e

SIZES = [(1366, 768), (360, 740)]


@pytest.fixture(scope="module")
def imported_server(tmp_path_factory):
    """The demo data and one file of three rows imported, waiting for acceptance."""
    app = demo_app(tmp_path_factory.mktemp("imports"))
    with app.app_context():
        wave = wave_by_code("demo")
        rows = [make_row(parsed(wave.questionnaire)) for _ in range(3)]
        report = imports.import_file(wave, "phieu-xa-ha-long.csv", csv_file(rows), None)
        assert report.imported == 3
        db.session.commit()
    with serving(app) as served:
        yield served


def _statuses(app) -> set[ResponseStatus]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Response.status)))


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_the_batch_is_listed_and_refusals_read_well(
    browser, imported_server, output_dir, width, height
):
    url, app = imported_server
    context, page = admin_window(browser, url, app, width, height)
    page.goto(f"{url}/entry/stats?wave=demo")
    assert "phieu-xa-ha-long.csv" in page.inner_text("main")
    assert_accessible(page)
    page.locator("#imports-heading").scroll_into_view_if_needed()
    page.screenshot(
        path=str(output_dir / f"import-batches-{width}.png"), full_page=True
    )
    page.goto(f"{url}/entry/import")
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "hostile.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": far_right([["unit"]]),
            }
        ],
    )
    page.locator("main form[enctype] button[type=submit]").click()
    page.wait_for_load_state()
    assert "1000" in page.inner_text("main")
    assert_accessible(page)
    page.screenshot(
        path=str(output_dir / f"import-refused-{width}.png"), full_page=True
    )
    context.close()


def test_accepting_the_batch_makes_its_rows_count(browser, imported_server, output_dir):
    url, app = imported_server
    assert _statuses(app) == {ResponseStatus.flagged}
    context, page = admin_window(browser, url, app, 1366, 768)
    page.goto(f"{url}/entry/stats?wave=demo")
    page.locator("#imports-heading ~ div form button").first.click()
    page.wait_for_load_state()
    assert page.locator(".flash").is_visible()
    assert _statuses(app) == {ResponseStatus.complete}
    page.screenshot(path=str(output_dir / "import-accepted-1366.png"), full_page=True)
    context.close()
