"""A job waiting while no worker runs says so (an installation whose worker
service was never started), instead of "waiting" for ever; a running worker
keeps marking that it runs, however busy its jobs keep it."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from sipas.extensions import db
from sipas.models import JobKind, Role
from sipas.services import clock
from sipas.services.jobs import lifecycle, workers
from sipas.services.jobs.files import jobs_dir
from sipas.services.waves.lookup import wave_by_code

#: What a job waiting with no worker says, in Vietnamese.
NO_WORKER = "Chưa có máy xử lý nền nào nhận việc này."


def waiting_job(owner, minutes: float) -> int:
    """A queued export asked for ``minutes`` ago; its id."""
    job = lifecycle.create(
        JobKind.export, owner, wave_by_code("demo"), {"format": "csv"}, 0
    )
    job.created_at = clock.now() - timedelta(minutes=minutes)
    db.session.commit()
    return job.id


def told(client, job_id: int) -> str:
    return client.get(f"/admin/jobs/{job_id}/progress").get_json()["text"]


@pytest.fixture
def analyst(demo_client, login_as):
    return login_as(demo_client, Role.analyst)


def test_a_job_waiting_with_no_worker_says_the_worker_may_not_run(demo_client, analyst):
    job_id = waiting_job(analyst, minutes=3)
    assert told(demo_client, job_id).startswith(NO_WORKER)
    page = demo_client.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert "flask sipas jobs worker" in page


def test_a_running_worker_or_a_short_wait_is_only_waiting(
    demo_app, demo_client, analyst
):
    fresh = waiting_job(analyst, minutes=0.2)
    assert told(demo_client, fresh) == "Đang chờ máy xử lý…"  # too soon to tell
    late = waiting_job(analyst, minutes=3)
    with demo_app.app_context():
        workers.mark_alive()
    assert told(demo_client, late) == "Đang chờ máy xử lý…"
    # a mark older than the silence no longer counts
    marked = jobs_dir() / workers.ALIVE_FILE
    long_ago = time.time() - workers.SILENCE_SECONDS - 5
    os.utime(marked, (long_ago, long_ago))
    assert told(demo_client, late).startswith(NO_WORKER)


def test_a_worker_process_keeps_marking(demo_app):
    marked = jobs_dir() / workers.ALIVE_FILE
    assert not marked.exists()
    stop = workers.keep_marking(demo_app)
    try:
        for _ in range(50):
            if marked.exists():
                break
            time.sleep(0.05)
        assert marked.exists()
    finally:
        stop.set()
