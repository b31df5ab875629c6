"""An analyst in a real browser asks for the Excel workbook of a round large enough
to be made in the background: the page shows how far the worker is, in words read
out to screen readers, then the download link; the file opens with openpyxl with a
row for every response."""

from __future__ import annotations

import re

import openpyxl
import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import Role
from sipas.services import accounts, synthetic
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import (
    admin_window,
    assert_accessible,
    jobs_app,
    serving_with_worker,
    wait_until,
)

pytestmark = pytest.mark.e2e

ANALYST, PASSWORD = "analyst-jobs", "correct-horse-battery-1"
#: Responses in the round: three batches of the export (2,000 each).
RESPONSES = 4500
#: The worker pauses this long after each batch, so the page shows it half-way.
PAUSE_SECONDS = 2


@pytest.fixture(scope="module")
def large_round(tmp_path_factory):
    """A server whose round of RESPONSES responses is above the size of a job,
    with a job queue in a SQLite file and a worker process beside it."""
    folder = tmp_path_factory.mktemp("export-job")
    app = jobs_app(folder, JOBS_MIN_RESPONSES=1000)
    with app.app_context():
        synthetic.add_demo_responses(wave_by_code("demo"), RESPONSES, seed=21)
        accounts.create_user(ANALYST, PASSWORD, Role.analyst)
        db.session.commit()
    with serving_with_worker(app, folder, PAUSE_SECONDS) as served:
        yield served


def vi(app, message: str, **values) -> str:
    """The Vietnamese interface text of ``message``."""
    with app.test_request_context(), force_locale("vi"):
        return _(message, **values)


def log_in(browser, url: str, app, width: int, height: int):
    """A window of that size, logged in as the analyst, that accepts downloads."""
    return admin_window(
        browser, url, app, width, height, ANALYST, PASSWORD, accept_downloads=True
    )


def test_workbook_made_in_the_background(browser, large_round, output_dir, tmp_path):
    url, app = large_round
    context, page = log_in(browser, url, app, 1366, 768)
    page.goto(f"{url}/admin/results/demo")
    page.get_by_role("link", name=vi(app, "Excel workbook (XLSX)")).click()
    assert_accessible(page)
    page.screenshot(path=output_dir / "export-job-offer-1366.png", full_page=True)
    page.get_by_role("button", name=vi(app, "Make the file")).click()
    page.wait_for_url(re.compile(r".*/admin/jobs/\d+$"))
    status = page.get_by_role("status")
    assert status.get_attribute("aria-live") == "polite"
    half_way = vi(
        app, "Processed %(done)s / %(total)s responses", done="2.000", total="4.500"
    )
    assert half_way == "Đã xử lý 2.000 / 4.500 phiếu"
    # the page changes by itself, without a reload: the worker pauses there
    wait_until(
        page,
        "(text) => document.querySelector('[role=status]').textContent === text",
        half_way,
        seconds=60,
    )
    assert page.locator("[data-job-download]").is_hidden()
    assert_accessible(page)
    page.screenshot(path=output_dir / "export-job-progress-1366.png", full_page=True)
    link = page.get_by_role("link", name=vi(app, "Download the file"))
    link.wait_for(state="visible", timeout=90_000)
    assert status.text_content() == vi(
        app, "Ready: %(done)s / %(total)s responses.", done="4.500", total="4.500"
    )
    page.screenshot(path=output_dir / "export-job-ready-1366.png", full_page=True)
    with page.expect_download() as download_info:
        link.click()
    saved = tmp_path / "download.xlsx"
    download_info.value.save_as(saved)
    assert download_info.value.suggested_filename == "sipas-demo.xlsx"
    sheet = openpyxl.load_workbook(saved, read_only=True).worksheets[0]
    assert sheet.max_row == RESPONSES + 2  # wording and codes, then a row each
    job_page = page.url
    page.goto(f"{url}/admin/jobs")
    assert page.locator('a[href$="/file"]').count() == 1  # its download link
    page.screenshot(path=output_dir / "export-job-list-1366.png", full_page=True)
    context.close()

    context, phone = log_in(browser, url, app, 360, 740)
    phone.goto(job_page)
    assert_accessible(phone)
    phone.screenshot(path=output_dir / "export-job-ready-360.png", full_page=True)
    phone.goto(f"{url}/admin/jobs")
    assert_accessible(phone)
    phone.screenshot(path=output_dir / "export-job-list-360.png", full_page=True)
    context.close()
