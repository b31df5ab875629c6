"""Large downloads made in the background: offered above the size setting, made
with progress, visible to their owner (and administrators) only, written whole or
not at all, and deleted when they expire."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from sipas.extensions import db
from sipas.models import AuditEvent, Job, JobKind, JobStatus, Role
from sipas.services import clock
from sipas.services.jobs import files, lifecycle
from sipas.services.results.exports import count_counted
from sipas.services.waves.lookup import wave_by_code
from tests.conftest import CSRF_PATTERN
from tests.factories import filled_demo_wave

#: The site's time zone, in which the pages give times.
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: Responses of the demo round in these tests, and the size setting below them.
RESPONSES = 300


@pytest.fixture
def large(demo_app):
    """The demo round with RESPONSES responses counts as large: its downloads
    become jobs."""
    filled_demo_wave(RESPONSES, seed=17)
    demo_app.config["JOBS_MIN_RESPONSES"] = RESPONSES // 2
    return demo_app


def fetch(client, path: str):
    """GET ``path``, its body read and the response closed (a sent file stays
    open until then)."""
    with client.get(path) as answer:
        answer.data  # noqa: B018  (read before closing)
        return answer


def start_job(client, what: str = "xlsx") -> int:
    """Open the download link, accept the offer; the new job's id."""
    link = "report.pdf" if what == "pdf" else f"download.{what}"
    offer = client.get(f"/admin/results/demo/{link}")
    assert offer.status_code == 200
    page = offer.get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    answer = client.post(
        "/admin/results/demo/job", data={"csrf_token": token, "what": what}
    )
    assert answer.status_code == 303
    return int(re.fullmatch(r"/admin/jobs/(\d+)", answer.headers["Location"])[1])


def test_large_export_is_made_in_the_background_with_progress(large, login_as):
    client = large.test_client()
    login_as(client, Role.analyst)
    offer = client.get("/admin/results/demo/download.xlsx").get_data(as_text=True)
    assert "Tạo tệp" in offer  # offered, not sent
    job_id = start_job(client)
    total = count_counted(wave_by_code("demo"))
    state = client.get(f"/admin/jobs/{job_id}/progress").get_json()
    assert state["status"] == "done"
    assert (state["done"], state["total"]) == (total, total)
    assert state["download"] == f"/admin/jobs/{job_id}/file"
    expires = db.session.get(Job, job_id).expires_at
    assert state["kept_until"] == clock.as_utc(expires).astimezone(HANOI).strftime(
        "%d/%m/%Y %H:%M"
    )
    download = fetch(client, state["download"])
    assert download.status_code == 200
    assert download.mimetype == WORKBOOK
    sheet = openpyxl.load_workbook(
        io.BytesIO(download.data), read_only=True
    ).worksheets[0]
    assert sheet.max_row == total + 2  # wording and codes, then one row each
    events = db.session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.action.in_(["job.create", "export.xlsx"])
        )
    ).all()
    assert sorted(events) == ["export.xlsx", "job.create"]


def test_asking_twice_gives_the_same_job(large, login_as):
    client = large.test_client()
    login_as(client, Role.analyst)
    assert start_job(client, "csv") == start_job(client, "csv")
    assert start_job(client, "parquet") != start_job(client, "csv")


def test_a_csv_made_in_the_background_is_sent_as_utf8_text_once(large, login_as):
    client = large.test_client()
    login_as(client, Role.analyst)
    download = fetch(client, f"/admin/jobs/{start_job(client, 'csv')}/file")
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_small_round_is_still_served_at_once(demo_app, login_as):
    client = demo_app.test_client()
    login_as(client, Role.analyst)
    answer = client.get("/admin/results/demo/download.xlsx")
    assert answer.status_code == 200
    assert answer.mimetype == WORKBOOK
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_report_as_a_job(large, login_as):
    client = large.test_client()
    login_as(client, Role.analyst)
    job_id = start_job(client, "pdf")
    answer = fetch(client, f"/admin/jobs/{job_id}/file")
    assert answer.status_code == 200
    assert answer.data.startswith(b"%PDF")


def test_progress_in_vietnamese_numbers(large):
    from sipas.admin.jobs import progress_text

    job = Job(kind=JobKind.export, status=JobStatus.running, done=42000, total=100000)
    with large.test_request_context(), force_locale("vi"):
        assert progress_text(job) == "Đã xử lý 42.000 / 100.000 phiếu"


@pytest.mark.parametrize(
    ("kind", "done", "total", "counted"),
    [
        (JobKind.export, 42000, 100000, True),
        (JobKind.import_, 0, 0, False),  # reading the file
        (JobKind.import_, 500, 1200, True),  # checking its rows
        (JobKind.import_, 1200, 1200, False),  # storing them
        (JobKind.report, 0, 300, False),  # a PDF laid out: nothing counted
        (JobKind.paper, 0, 500, False),
    ],
)
def test_a_running_job_counts_only_what_it_can(kind, done, total, counted):
    from sipas.admin.jobs import is_counted

    job = Job(kind=kind, status=JobStatus.running, done=done, total=total)
    assert is_counted(job) is counted
    job.status = JobStatus.done
    assert is_counted(job)


def test_a_report_being_laid_out_shows_a_bar_without_a_value(large, login_as):
    client = large.test_client()
    owner = login_as(client, Role.analyst)
    wave = wave_by_code("demo")
    running = Job(
        kind=JobKind.report,
        owner=owner,
        wave=wave,
        parameters={"language": "vi"},
        status=JobStatus.running,
        total=RESPONSES,
    )
    db.session.add(running)
    db.session.commit()
    page = client.get(f"/admin/jobs/{running.id}").get_data(as_text=True)
    bar = re.search(r"<progress [^>]*>", page).group(0)
    assert "value=" not in bar  # the bar moves on its own: work goes on
    state = client.get(f"/admin/jobs/{running.id}/progress").get_json()
    assert state["counted"] is False
    assert state["text"] == "Đang dàn trang báo cáo của 300 phiếu…"


def test_one_users_jobs_are_hidden_from_another(large, login_as):
    owner, other, admin = (large.test_client() for _ in range(3))
    login_as(owner, Role.analyst)
    login_as(other, Role.analyst)
    login_as(admin, Role.admin)
    job_id = start_job(owner)
    for path in (
        f"/admin/jobs/{job_id}",
        f"/admin/jobs/{job_id}/progress",
        f"/admin/jobs/{job_id}/file",
    ):
        assert fetch(other, path).status_code == 404  # not 403: nothing is said
        assert fetch(admin, path).status_code == 200
        assert fetch(owner, path).status_code == 200
    assert f"/admin/jobs/{job_id}" not in other.get("/admin/jobs").get_data(
        as_text=True
    )
    assert f"/admin/jobs/{job_id}" in admin.get("/admin/jobs").get_data(as_text=True)
    assert f"/admin/jobs/{job_id}" in owner.get("/admin/jobs").get_data(as_text=True)


def test_a_file_is_written_whole_or_not_at_all(app):
    path = files.jobs_dir() / "job-1.csv"

    def broken():
        yield b"response_id,stratum\n"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        files.write_atomically(path, broken())
    assert list(files.jobs_dir().iterdir()) == []  # no file, no leftover
    assert files.write_atomically(path, [b"a", b"b"]) == 2
    assert path.read_bytes() == b"ab"
    assert list(files.jobs_dir().iterdir()) == [path]


def test_expired_file_is_deleted_and_says_so(large, login_as):
    client = large.test_client()
    login_as(client, Role.analyst)
    job_id = start_job(client, "csv")
    job = db.session.get(Job, job_id)
    assert (job.status, job.error) == (JobStatus.done, None)
    path = files.stored_path(job)
    assert path.exists()
    kept = clock.as_utc(job.expires_at) - clock.as_utc(job.finished_at)
    assert kept == timedelta(hours=large.config["JOBS_KEEP_HOURS"])
    job.expires_at = clock.now() - timedelta(seconds=1)  # the time has come
    db.session.commit()
    answer = client.get(f"/admin/jobs/{job_id}/file")
    assert answer.status_code == 410
    assert "Tệp này đã hết hạn" in answer.get_data(as_text=True)
    assert lifecycle.purge_expired() == 1
    assert not path.exists()


def test_stalled_job_is_tried_again_then_given_up_in_words(
    large, login_as, monkeypatch
):
    client = large.test_client()
    user = login_as(client, Role.analyst)
    parameters = {"format": "csv", "unit": None, "language": "vi"}
    wave = wave_by_code("demo")
    job_id = lifecycle.create(JobKind.export, user, wave, parameters, 10).id
    db.session.commit()
    assert lifecycle.start(job_id) is not None
    db.session.commit()
    assert lifecycle.stalled_jobs() == []  # alive
    later = clock.now() + timedelta(seconds=large.config["JOBS_STALL_SECONDS"] + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    stalled = lifecycle.stalled_jobs()
    assert lifecycle.recover(stalled) == [job_id]
    db.session.commit()
    job = db.session.get(Job, job_id)
    assert job.status is JobStatus.queued
    job.status, job.attempts = JobStatus.running, large.config["JOBS_MAX_ATTEMPTS"]
    db.session.commit()
    assert lifecycle.recover(lifecycle.stalled_jobs()) == []
    db.session.commit()
    db.session.refresh(job)
    assert job.status is JobStatus.failed
    assert job.error.startswith("Máy xử lý đã dừng giữa chừng khi tạo tệp này, 3 lần.")


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (JobKind.results, "Máy xử lý đã dừng giữa chừng khi tính kết quả này, 3 lần."),
        (JobKind.import_, "không dòng nào của tệp được lưu. Hãy tải tệp lên lại"),
        (JobKind.report, "Máy xử lý đã dừng giữa chừng khi tạo tệp này, 3 lần."),
    ],
)
def test_a_stalled_job_given_up_says_what_it_was_doing(large, login_as, kind, words):
    user = login_as(large.test_client(), Role.analyst)
    job = lifecycle.create(kind, user, wave_by_code("demo"), {"language": "vi"}, 10)
    db.session.commit()
    lifecycle.start(job.id)
    job.attempts = large.config["JOBS_MAX_ATTEMPTS"]
    job.heartbeat_at = clock.now() - timedelta(days=1)
    db.session.commit()
    assert lifecycle.recover(lifecycle.stalled_jobs()) == []
    db.session.commit()
    db.session.refresh(job)
    assert job.status is JobStatus.failed
    assert words in job.error


def test_a_file_that_cannot_be_made_fails_in_words(demo_app, login_as):
    from sipas.services.jobs import runner

    client = demo_app.test_client()
    user = login_as(client, Role.analyst)
    parameters = {"unit": None, "language": "vi"}
    wave = wave_by_code("demo")  # no response: there is nothing to report
    job_id = lifecycle.create(JobKind.report, user, wave, parameters, 0).id
    db.session.commit()
    runner.run(job_id)
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    assert job.status is JobStatus.failed
    assert job.error == "Đợt khảo sát này chưa có phiếu nào trong phạm vi đã chọn."
    # the page says it as an error, with the way back to ask again; no bar
    page = client.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    told = r'class="error-summary" role="alert"[^>]*><p>Đợt khảo sát này'
    assert re.search(told, page)
    assert "Quay lại trang kết quả để yêu cầu lại" in page
    assert "<progress" not in page
    page = client.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert job.error in page
    assert not list(files.jobs_dir().iterdir())


def test_a_units_job_is_titled_with_the_units_name(large, login_as):
    """An analyst of one commune sees its name in the job's title, as on the
    confirmation page before it, not its code."""
    from sipas.services.units.lookup import unit_by_code

    commune = unit_by_code("QN-HALONG")
    large.config["JOBS_MIN_RESPONSES"] = 1
    client = large.test_client()
    login_as(client, Role.analyst, unit=commune)
    page = client.get(f"/admin/jobs/{start_job(client, 'csv')}").get_data(as_text=True)
    title = re.search(r"<h1>(.*?)</h1>", page, re.S)[1]
    assert commune.name in title
    assert "QN-HALONG" not in title
