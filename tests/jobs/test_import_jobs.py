"""Response files above JOBS_MIN_IMPORT_ROWS are checked and stored by a job: the
page follows its progress, then shows the same report as an immediate import
(problems by row and column, the decision on the valid rows); all or nothing;
another user never sees it."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from sipas.admin.jobs import progress_text
from sipas.extensions import db
from sipas.models import Job, JobKind, JobStatus, Role
from sipas.services.jobs import files, importing
from sipas.services.questionnaires import parsed
from sipas.services.units.lookup import unit_by_code
from tests.conftest import CSRF_PATTERN
from tests.factories import demo_target
from tests.responses.test_imports import csv_file, make_row, stored_count, upload

#: The size setting in these tests: files of this many rows or more become jobs.
THRESHOLD = 50
JOB_URL = re.compile(r"/admin/jobs/(\d+)")


@pytest.fixture
def wave(demo_app):
    demo_app.config["JOBS_MIN_IMPORT_ROWS"] = THRESHOLD
    return demo_target()[0]


@pytest.fixture
def questionnaire(wave):
    return parsed(wave.questionnaire)


@pytest.fixture
def surveyor(demo_client, login_as, wave):
    """A surveyor of the commune whose centre the rows are of, logged in."""
    return login_as(demo_client, Role.surveyor, unit=unit_by_code("QN-HALONG"))


def rows_of(questionnaire, count: int, **bad) -> list[dict[str, str]]:
    """``count`` valid rows; ``bad`` maps a row's index to the cells that break it."""
    return [make_row(questionnaire, **bad.get(f"r{i}", {})) for i in range(count)]


def job_of(answer) -> Job:
    """The job a POST was sent on to (303 to its page), as stored now."""
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    job_id = int(JOB_URL.fullmatch(answer.headers["Location"])[1])
    db.session.rollback()
    return db.session.get(Job, job_id)


def test_a_file_below_the_size_is_still_imported_at_once(
    demo_client, surveyor, questionnaire, wave
):
    answer = upload(demo_client, csv_file(rows_of(questionnaire, THRESHOLD - 1)))
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/entry/import"
    assert stored_count(wave) == THRESHOLD - 1
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_a_large_file_is_stored_whole_by_a_job(
    demo_client, surveyor, questionnaire, wave
):
    data = csv_file(rows_of(questionnaire, 120))
    job = job_of(upload(demo_client, data))
    assert (job.kind, job.owner_id, job.status) == (
        JobKind.import_,
        surveyor.id,
        JobStatus.done,
    )
    assert stored_count(wave) == 120
    state = demo_client.get(f"/admin/jobs/{job.id}/progress").get_json()
    assert (state["done"], state["total"], state["download"]) == (120, 120, None)
    assert state["text"].startswith("Đã nhập 120,")
    page = demo_client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "Nhập phiếu từ tệp · in.csv" in page
    assert "import-decision" not in page
    assert not files.stored_path(job).exists()  # nothing left to decide on
    listed = demo_client.get("/admin/jobs").get_data(as_text=True)
    assert f'href="/admin/jobs/{job.id}"' in listed
    # the same file again: every row already there, nothing stored twice
    again = job_of(upload(demo_client, data))
    assert (again.outcome["imported"], again.outcome["already"]) == (0, 120)
    assert stored_count(wave) == 120


def test_a_bad_row_stores_nothing_and_the_report_names_row_and_column(
    demo_client, surveyor, questionnaire, wave
):
    rows = rows_of(questionnaire, 100, r40={"C1": "8"}, r70={"unit": "XX-99"})
    job = job_of(upload(demo_client, csv_file(rows)))
    assert job.status is JobStatus.done
    assert stored_count(wave) == 0
    assert (job.outcome["error_count"], job.outcome["valid"]) == (2, 98)
    page = demo_client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    # rows as the user numbers them: the header is row 1
    assert re.search(r'<td class="num">42</td><td><code>C1</code>', page)
    assert re.search(r'<td class="num">72</td><td><code>unit</code>', page)
    assert "Chưa nhập dữ liệu nào: tệp có 2 lỗi." in page
    assert "Chỉ nhập 98 dòng hợp lệ" in page
    # the problems read in the language of whoever opens the report
    assert "Câu trả lời theo thang đo phải là 1 đến 5" in page
    demo_client.set_cookie(demo_client.application.config["LANGUAGE_COOKIE"], "en")
    english = demo_client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "A scale answer is 1 to 5, 9 (not applicable) or empty." in english
    assert "thang đo" not in english
    demo_client.set_cookie(demo_client.application.config["LANGUAGE_COOKIE"], "vi")
    token = CSRF_PATTERN.search(page).group(1)
    decided = demo_client.post(
        f"/entry/import/jobs/{job.id}", data={"csrf_token": token, "valid_only": "1"}
    )
    valid = job_of(decided)
    assert valid.id != job.id
    assert valid.parameters["valid_only"] is True
    assert valid.outcome["imported"] == 98
    assert stored_count(wave) == 98
    # the file is gone with the decision: deciding again stores nothing more
    demo_client.post(
        f"/entry/import/jobs/{job.id}", data={"csrf_token": token, "valid_only": "1"}
    )
    assert stored_count(wave) == 98
    page = demo_client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "import-decision" not in page
    # the check links to the import of its valid rows, and that one back, with
    # the rows it left out
    assert "Các dòng hợp lệ của tệp này đã được nhập:" in page
    assert f'href="/admin/jobs/{valid.id}">xem lần nhập đó' in page
    listed = demo_client.get("/admin/jobs").get_data(as_text=True)
    assert "Tệp có 2 lỗi; các dòng hợp lệ đã được nhập riêng." in listed
    imported = demo_client.get(f"/admin/jobs/{valid.id}").get_data(as_text=True)
    assert "Các dòng không được nhập và lỗi của từng dòng" in imported
    assert re.search(r'<td class="num">42</td><td><code>C1</code>', imported)
    assert f'href="/admin/jobs/{job.id}">Lần kiểm tra tệp này' in imported
    # a surveyor's rows wait for an administrator, who is shown where to accept
    assert "Quản trị viên chấp nhận tệp trên trang các tệp đã nhập." in imported


def test_import_nothing_forgets_the_file(demo_client, surveyor, questionnaire, wave):
    rows = rows_of(questionnaire, 60, r3={"A1": "7"})
    job = job_of(upload(demo_client, csv_file(rows)))
    page = demo_client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    answer = demo_client.post(
        f"/entry/import/jobs/{job.id}", data={"csrf_token": token, "nothing": "1"}
    )
    assert answer.status_code == 303
    assert not files.stored_path(job).exists()
    demo_client.post(
        f"/entry/import/jobs/{job.id}", data={"csrf_token": token, "valid_only": "1"}
    )
    assert stored_count(wave) == 0
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 1
    # the decision is told, on the page and in the list, unlike a file waiting
    page = demo_client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "Đã quyết định không nhập gì từ tệp này; tệp đã được xoá." in page
    listed = demo_client.get("/admin/jobs").get_data(as_text=True)
    assert "Tệp có 1 lỗi; đã quyết định không nhập gì." in listed


def test_no_decision_is_offered_once_the_round_is_closed(
    demo_client, surveyor, questionnaire, wave
):
    """Rows go into open rounds only: the page says so instead of offering a
    decision that would fail."""
    from sipas.models import WaveStatus
    from sipas.services.waves.admin import change_status

    job = job_of(
        upload(demo_client, csv_file(rows_of(questionnaire, 60, r3={"A1": "7"})))
    )
    change_status(wave, WaveStatus.closed, None)
    db.session.commit()
    page = demo_client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "import-decision" not in page
    assert "Đợt khảo sát đã đóng: không thể nhập các dòng hợp lệ" in page
    token = CSRF_PATTERN.search(demo_client.get("/entry/import").get_data(as_text=True))
    demo_client.post(
        f"/entry/import/jobs/{job.id}",
        data={"csrf_token": token.group(1), "valid_only": "1"},
    )
    assert stored_count(wave) == 0


def test_another_user_cannot_see_the_job(
    demo_app, demo_client, surveyor, login_as, questionnaire, wave
):
    rows = rows_of(questionnaire, 60, r3={"A1": "7"})
    job = job_of(upload(demo_client, csv_file(rows)))
    other = demo_app.test_client()
    login_as(other, Role.surveyor, unit=unit_by_code("QN-HALONG"))
    for path in (f"/admin/jobs/{job.id}", f"/admin/jobs/{job.id}/progress"):
        assert other.get(path).status_code == 404
    assert f"/admin/jobs/{job.id}" not in other.get("/admin/jobs").get_data(
        as_text=True
    )
    page = other.get("/entry/import").get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    answer = other.post(
        f"/entry/import/jobs/{job.id}", data={"csrf_token": token, "valid_only": "1"}
    )
    assert answer.status_code == 404
    assert stored_count(wave) == 0
    administrator = demo_app.test_client()
    login_as(administrator, Role.admin)
    page = administrator.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "in.csv" in page
    # the valid rows are those of the surveyor's units: only they decide
    assert "import-decision" not in page
    form = administrator.get("/entry/import").get_data(as_text=True)
    token = CSRF_PATTERN.search(form).group(1)
    administrator.post(
        f"/entry/import/jobs/{job.id}", data={"csrf_token": token, "valid_only": "1"}
    )
    assert stored_count(wave) == 0
    assert files.stored_path(job).exists()


def test_the_check_reports_its_progress_every_thousand_rows(
    demo_app, surveyor, questionnaire, wave
):
    data = csv_file(rows_of(questionnaire, 2500))
    job = importing.ask(wave, surveyor, "big.csv", data, "vi")
    db.session.commit()
    seen: list[tuple[int, int]] = []
    importing.check(job, lambda done, total: seen.append((done, total)))
    assert seen == [(0, 2500), (1000, 2500), (2000, 2500), (2500, 2500)]
    job.status, job.done, job.total = JobStatus.running, 1000, 2500
    with demo_app.test_request_context(), force_locale("vi"):
        assert progress_text(job) == "Đã kiểm tra 1.000 / 2.500 dòng"
    with demo_app.test_request_context(), force_locale("en"):
        assert progress_text(job) == "Checked 1,000 / 2,500 rows"
    db.session.rollback()


def test_a_workbook_counts_by_the_rows_its_sheet_declares(wave):
    import openpyxl

    book = openpyxl.Workbook()
    for i in range(60):
        book.active.append(["unit", i])
    out = io.BytesIO()
    book.save(out)
    assert importing.is_large("a.xlsx", out.getvalue())
    assert not importing.is_large("a.xlsx", out.getvalue()[:100])  # no workbook


def test_a_refused_files_problems_are_counted_with_separators(demo_app):
    """Beside "1.697" in the report, the heading says 1.697 too, not 1697."""
    from sipas.admin.jobs import import_outcome_text
    from sipas.services.responses.imports import ImportReport

    outcome = {"error_count": 1697}
    with demo_app.test_request_context(), force_locale("vi"):
        said = import_outcome_text(ImportReport(rows=3000, bad_rows=1697), outcome)
        assert said == "Chưa nhập dữ liệu nào: tệp có 1.697 lỗi."
    with demo_app.test_request_context(), force_locale("en"):
        said = import_outcome_text(ImportReport(rows=3000, bad_rows=1697), outcome)
        assert said == "Nothing was imported: 1,697 problems in the file."


def test_a_surveyors_list_speaks_of_imports(demo_client, surveyor):
    """A surveyor's background work is imports: the list says so, even empty."""
    page = demo_client.get("/admin/jobs").get_data(as_text=True)
    assert "Chưa nhập tệp lớn nào." in page
    assert "tạo tệp" not in page
