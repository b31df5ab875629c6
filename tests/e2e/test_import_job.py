"""A surveyor in a real browser imports a file above JOBS_MIN_IMPORT_ROWS: the
job's page shows the rows checked so far, in words read out to screen readers,
then the report of the file's problem with the decision; the valid rows are then
imported by a second job, whose page says what was stored."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Response, Role
from sipas.services import accounts
from sipas.services.questionnaires import parsed
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from tests.e2e import conftest as e2e
from tests.e2e.test_export_job import vi
from tests.responses.test_imports import csv_file, make_row

pytestmark = pytest.mark.e2e

SURVEYOR, PASSWORD = "surveyor-jobs", "correct-horse-battery-1"
#: Rows of the file: the check reports its progress every 1,000 rows.
ROWS = 2500
#: The row (as the user numbers it, the header being row 1) with a wrong answer.
BAD_ROW = 1502
#: The worker pauses this long after each report of progress.
PAUSE_SECONDS = 2


@pytest.fixture(scope="module")
def large_file(tmp_path_factory):
    """A server whose imports of 50 rows or more are jobs, a worker beside it, and
    a file of ROWS rows, one of them wrong."""
    folder = tmp_path_factory.mktemp("import-job")
    app = e2e.jobs_app(folder, JOBS_MIN_IMPORT_ROWS=50)
    with app.app_context():
        questionnaire = parsed(wave_by_code("demo").questionnaire)
        rows = [make_row(questionnaire) for _ in range(ROWS)]
        rows[BAD_ROW - 2]["A1"] = "7"
        commune = unit_by_code("QN-HALONG")
        accounts.create_user(SURVEYOR, PASSWORD, Role.surveyor, unit=commune)
        db.session.commit()
    with e2e.serving_with_worker(app, folder, PAUSE_SECONDS) as (url, served):
        yield url, served, csv_file(rows)


def log_in(browser, url: str, app, width: int, height: int):
    return e2e.admin_window(
        browser, url, app, width, height, SURVEYOR, PASSWORD, landing="/entry/**"
    )


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Response.id)))


def watch_status(page, text: str) -> None:
    """Wait until the page, by itself, says ``text`` in its status region."""
    e2e.wait_until(
        page,
        "(text) => document.querySelector('[role=status]').textContent === text",
        text,
        seconds=60,
    )


def test_a_large_file_is_checked_with_progress_then_decided(
    browser, large_file, output_dir
):
    url, app, data = large_file
    context, page = log_in(browser, url, app, 1366, 768)
    page.goto(f"{url}/entry/import")
    assert (
        "Tệp từ 50 dòng trở lên được kiểm tra và nhập ở chế độ nền"
        in page.inner_text("main")
    )
    page.screenshot(path=output_dir / "import-job-upload-1366.png", full_page=True)
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "phieu-lon.csv", "mimeType": "text/csv", "buffer": data}],
    )
    page.locator("main form[enctype] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/admin/jobs/\d+$"))
    status = page.get_by_role("status")
    assert status.get_attribute("aria-live") == "polite"
    half_way = vi(app, "Checked %(done)s / %(total)s rows", done="1.000", total="2.500")
    assert half_way == "Đã kiểm tra 1.000 / 2.500 dòng"
    watch_status(page, half_way)
    e2e.assert_accessible(page)
    page.screenshot(path=output_dir / "import-job-progress-1366.png", full_page=True)
    # once checked, the page loads again with the report: the row and its column
    problem = page.locator("table.import-errors tbody tr")
    problem.first.wait_for(timeout=60_000)
    assert problem.count() == 1
    assert problem.first.locator("td").nth(0).text_content() == str(BAD_ROW)
    assert problem.first.locator("code").text_content() == "A1"
    assert stored(app) == 0
    e2e.assert_accessible(page)
    page.screenshot(path=output_dir / "import-job-report-1366.png", full_page=True)
    report_page = page.url
    context.close()

    context, phone = log_in(browser, url, app, 360, 740)
    phone.goto(report_page)
    e2e.assert_accessible(phone)
    phone.screenshot(path=output_dir / "import-job-report-360.png", full_page=True)
    phone.get_by_role("button", name="Chỉ nhập 2.499 dòng hợp lệ").click()
    phone.wait_for_url(re.compile(r".*/admin/jobs/\d+$"))
    assert phone.url != report_page
    done = vi(
        app,
        "Imported %(imported)s, skipped %(already)s already imported, "
        "%(bad)s rows with errors.",
        imported="2.499",
        already="0",
        bad="1",
    )
    # the page loads again by itself when the job ends (a locator outlives that)
    phone.get_by_role("status").filter(has_text=done).wait_for(timeout=90_000)
    assert stored(app) == ROWS - 1
    e2e.assert_accessible(phone)
    phone.screenshot(path=output_dir / "import-job-done-360.png", full_page=True)
    done_page = phone.url
    phone.goto(f"{url}/admin/jobs")
    assert phone.locator("table.job-list tbody tr").count() == 2
    e2e.assert_accessible(phone)
    phone.screenshot(path=output_dir / "import-job-list-360.png", full_page=True)
    context.close()

    context, page = log_in(browser, url, app, 1366, 768)
    page.goto(done_page)
    assert page.get_by_role("status").text_content().startswith(done)
    page.screenshot(path=output_dir / "import-job-done-1366.png", full_page=True)
    context.close()
