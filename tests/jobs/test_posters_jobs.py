"""The QR posters of a round with many units are laid out in the background: the
page shows the job's progress, the file is the same PDF, and its download is
recorded as the immediate one is."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import AuditEvent, Job, JobKind, JobStatus
from sipas.services.waves.lookup import units_of
from tests.conftest import CSRF_PATTERN
from tests.factories import demo_target

BASE = "https://khaosat.quangninh.gov.vn"


@pytest.fixture
def admin(demo_app, demo_admin):
    demo_app.config["PUBLIC_BASE_URL"] = BASE
    return demo_admin


def ask_posters(client, wave_code: str, language: str = "vi"):
    page = client.get("/admin/posters").get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    data = {"csrf_token": token, "scope": "wave", "wave": wave_code}
    return client.post("/admin/posters", data={**data, "language": language})


def poster_events() -> list[AuditEvent]:
    query = sa.select(AuditEvent).filter_by(action="poster.pdf")
    return list(db.session.scalars(query))


def test_a_round_of_many_units_gets_its_posters_from_the_worker(demo_app, admin):
    client, user = admin
    wave, _unit = demo_target()
    units = units_of(wave)
    demo_app.config["JOBS_MIN_POSTERS"] = len(units)
    answer = ask_posters(client, wave.code)
    assert answer.status_code == 303
    job_id = int(re.fullmatch(r"/admin/jobs/(\d+)", answer.headers["Location"])[1])
    job = db.session.get(Job, job_id)
    assert (job.kind, job.status, job.total) == (
        JobKind.posters,
        JobStatus.done,
        len(units),
    )
    assert job.owner_id == user.id
    page = client.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert "Áp phích mã QR (PDF)" in page
    # under the menu entry it was asked from
    assert re.search(r'aria-current="page"[^>]*>\s*Áp phích mã QR', page)
    state = client.get(f"/admin/jobs/{job_id}/progress").get_json()
    assert state["text"] == f"Đã xong: {len(units)} áp phích."
    assert poster_events() == []  # recorded when downloaded, as the immediate file
    with client.get(f"/admin/jobs/{job_id}/file") as download:
        assert download.mimetype == "application/pdf"
        assert (
            f"sipas-posters-{wave.code}.pdf" in download.headers["Content-Disposition"]
        )
        assert len(re.findall(rb"/Type\s*/Page\b", download.data)) == len(units)
    [event] = poster_events()
    assert (event.user_id, event.object_type, event.object_id) == (
        user.id,
        "wave",
        wave.code,
    )
    assert event.details == {
        "wave": wave.code,
        "units": len(units),
        "language": "vi",
        "base_url": BASE,
        "job": job_id,
    }


def test_asking_twice_gives_the_same_job(demo_app, admin):
    client, _user = admin
    wave, _unit = demo_target()
    demo_app.config["JOBS_MIN_POSTERS"] = 1
    first, second = ask_posters(client, wave.code), ask_posters(client, wave.code)
    assert first.headers["Location"] == second.headers["Location"]
    english = ask_posters(client, wave.code, language="en")
    assert english.headers["Location"] != first.headers["Location"]


def test_a_round_below_the_size_is_still_sent_at_once(demo_app, admin):
    client, _user = admin
    wave, _unit = demo_target()
    demo_app.config["JOBS_MIN_POSTERS"] = len(units_of(wave)) + 1
    answer = ask_posters(client, wave.code)
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
