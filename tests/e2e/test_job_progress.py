"""A job's page while it runs with nothing to count: an import being stored after
its rows were checked. The bar, which showed the rows checked, stops showing a
value and moves by itself, and the page says what is going on."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Job, JobKind, JobStatus, User
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import admin_window, assert_accessible, wait_until

pytestmark = pytest.mark.e2e

ROWS = 1200


def running_import(app, done: int) -> int:
    """A running import job of the demo admin, ``done`` of ROWS rows checked."""
    with app.app_context():
        admin = db.session.scalar(sa.select(User).filter_by(username="admin"))
        job = Job(
            kind=JobKind.import_,
            owner=admin,
            wave=wave_by_code("demo"),
            parameters={"file": "phieu.csv", "language": "vi", "valid_only": False},
            file_name="phieu.csv",
            status=JobStatus.running,
            done=done,
            total=ROWS,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


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
