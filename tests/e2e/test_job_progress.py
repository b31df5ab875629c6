"""A job's page while it runs: an import being stored after its rows were checked
(the bar, which showed the rows checked, stops showing a value and moves by
itself, and the page says what is going on), and a file made while its page is
open (the download and until when the file is kept appear without a reload)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Job, JobKind, JobStatus, User
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import admin_window, assert_accessible, wait_until

pytestmark = pytest.mark.e2e

ROWS = 1200


def running_job(app, kind: JobKind, done: int, **columns) -> int:
    """A running job of the demo admin in the demo round, ``done`` of ROWS."""
    with app.app_context():
        admin = db.session.scalar(sa.select(User).filter_by(username="admin"))
        job = Job(
            kind=kind,
            owner=admin,
            wave=wave_by_code("demo"),
            status=JobStatus.running,
            done=done,
            total=ROWS,
            **columns,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def running_import(app, done: int) -> int:
    """A running import job, ``done`` of ROWS rows checked."""
    parameters = {"file": "phieu.csv", "language": "vi", "valid_only": False}
    return running_job(
        app, JobKind.import_, done, parameters=parameters, file_name="phieu.csv"
    )


def checked(app, job_id: int, done: int) -> None:
    with app.app_context():
        db.session.execute(sa.update(Job).where(Job.id == job_id).values(done=done))
        db.session.commit()


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (360, 740)])
def test_storing_shows_a_moving_bar_and_says_so(
    browser, live_server, output_dir, width, height
):
    url, app = live_server
    job_id = running_import(app, done=500)
    context, page = admin_window(browser, url, app, width, height)
    page.goto(f"{url}/admin/jobs/{job_id}")
    bar = page.locator(".job-progress progress")
    assert bar.get_attribute("value") == "500"
    assert page.get_by_role("status").text_content() == "Đã kiểm tra 500 / 1.200 dòng"
    checked(app, job_id, ROWS)  # every row checked: the worker stores them
    wait_until(
        page, "() => document.querySelector('.job-progress progress').position === -1"
    )
    status = page.get_by_role("status")
    wait_until(
        page,
        "() => document.querySelector('[role=status]').textContent.includes('1.200')",
    )
    assert status.text_content() == "Đã kiểm tra xong 1.200 dòng, đang lưu…"
    assert_accessible(page)
    page.screenshot(path=output_dir / f"job-storing-{width}.png", full_page=True)
    context.close()
    with app.app_context():  # the other tests share this server's database
        db.session.execute(sa.delete(Job).where(Job.id == job_id))
        db.session.commit()


def running_export(app) -> int:
    """A running workbook export, half made."""
    return running_job(app, JobKind.export, ROWS // 2, parameters={"format": "xlsx"})


def finished(app, job_id: int) -> datetime:
    """The export finished, its file kept for a week; until when."""
    kept_until = datetime(2026, 12, 13, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội
    with app.app_context():
        db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.done,
                done=ROWS,
                file_name="demo.xlsx",
                expires_at=kept_until,
            )
        )
        db.session.commit()
    return kept_until


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (360, 740)])
def test_a_file_made_while_its_page_is_open_says_until_when_it_is_kept(
    browser, live_server, output_dir, width, height
):
    url, app = live_server
    job_id = running_export(app)
    context, page = admin_window(browser, url, app, width, height)
    page.goto(f"{url}/admin/jobs/{job_id}")
    kept = page.locator("dd[data-job-kept]")
    assert kept.is_hidden()
    assert page.get_by_role("link", name="Tải tệp về").is_hidden()
    finished(app, job_id)
    page.get_by_role("link", name="Tải tệp về").wait_for()
    kept.wait_for()
    assert page.locator("dt[data-job-kept]").text_content() == "Giữ đến"
    assert kept.text_content() == "13/12/2026 08:30"
    assert_accessible(page)
    page.screenshot(path=output_dir / f"job-kept-{width}.png", full_page=True)
    context.close()
    with app.app_context():
        db.session.execute(sa.delete(Job).where(Job.id == job_id))
        db.session.commit()
