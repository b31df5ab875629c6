"""Large batches of paper forms are printed in the background: issued at once (the
serials are taken in the request), their PDF made by the worker."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import AuditEvent, Job, JobKind, PaperForm
from sipas.services.paper.issuing import issue_forms
from tests.conftest import CSRF_PATTERN
from tests.factories import demo_target

#: Forms from which the PDF is made in the background, in these tests.
LARGE = 3


@pytest.fixture
def admin(demo_app, demo_admin):
    demo_app.config["JOBS_MIN_PAPER_FORMS"] = LARGE
    return demo_admin


def job_of(answer) -> Job:
    assert answer.status_code == 303
    job_id = int(re.fullmatch(r"/admin/jobs/(\d+)", answer.headers["Location"])[1])
    return db.session.get(Job, job_id)


def pdf_pages(client, job: Job) -> int:
    with client.get(f"/admin/jobs/{job.id}/file") as answer:
        assert answer.status_code == 200
        assert answer.mimetype == "application/pdf"
        return len(re.findall(rb"/Type\s*/Page\b", answer.data))


def test_a_large_batch_is_issued_then_printed_in_the_background(admin):
    client, _user = admin
    html = client.get("/admin/paper").get_data(as_text=True)
    _wave, unit = demo_target()
    token = CSRF_PATTERN.search(html).group(1)
    answer = client.post(
        "/admin/paper?wave=demo",
        data={"csrf_token": token, "unit": unit.id, "count": LARGE, "language": "vi"},
    )
    job = job_of(answer)
    assert (job.kind, job.total, job.file_name) == (
        JobKind.paper,
        LARGE,
        "sipas-phieu-demo-QN-HALONG-TT-1-3.pdf",
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperForm)) == LARGE
    assert pdf_pages(client, job) >= LARGE  # at least a page a form
    state = client.get(f"/admin/jobs/{job.id}/progress").get_json()
    assert state["text"] == "Đã xong: 3 phiếu giấy."


def test_a_small_batch_is_still_sent_at_once(admin):
    client, user = admin
    wave, unit = demo_target()
    forms = issue_forms(wave, unit, LARGE - 1, user)
    db.session.commit()
    with client.get(f"/admin/paper/{forms[0].batch}.pdf") as answer:
        assert answer.mimetype == "application/pdf"


def test_a_large_batch_prints_again_in_the_background(admin):
    client, user = admin
    wave, unit = demo_target()
    forms = issue_forms(wave, unit, LARGE, user)
    db.session.commit()
    offer = client.get(f"/admin/paper/{forms[0].batch}.pdf")
    assert offer.mimetype == "text/html"
    html = offer.get_data(as_text=True)
    assert "Tạo tệp" in html
    token = CSRF_PATTERN.search(html).group(1)
    answer = client.post(
        f"/admin/paper/{forms[0].batch}/job", data={"csrf_token": token, "what": "pdf"}
    )
    job = job_of(answer)
    assert pdf_pages(client, job) >= LARGE
    reprints = db.session.scalars(
        sa.select(AuditEvent).filter_by(action="paper.reprint")
    ).all()
    assert [event.user_id for event in reprints] == [user.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperForm)) == LARGE
