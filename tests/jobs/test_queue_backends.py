"""The job queue on each backend a deployment uses, with a real worker process:
a SQLite file (the default) and, in the PostgreSQL run, PostgreSQL itself (Huey's
tables beside ours), as several app servers would share it."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipas.extensions import db
from sipas.models import Job, JobKind, JobStatus, Role
from sipas.services import accounts, demo, questionnaires
from sipas.services.jobs import files, lifecycle
from sipas.services.jobs.queue import enqueue, job_queue
from tests.conftest import QUESTIONNAIRE_DIR, STAFF_PASSWORD, make_app
from tests.databases import databases
from tests.factories import filled_demo_wave
from tests.jobs.workers import start_worker, stop

RESPONSES = 300


def queue_url(database_url: str, folder: Path) -> str:
    """The queue beside the database: PostgreSQL's own, else a SQLite file."""
    if database_url.startswith("postgresql"):
        return database_url
    return f"sqlite:///{folder / 'queue.sqlite3'}"


@pytest.fixture
def app_with_queue(tmp_path: Path) -> Iterator:
    path = tmp_path / "sipas.db"
    url = databases.url_for(path, with_tables=True)
    app = make_app(
        path,
        SQLALCHEMY_DATABASE_URI=url,
        JOBS_QUEUE_URL=queue_url(url, tmp_path),
        JOBS_DIR=str(tmp_path / "jobs"),
    )
    with app.app_context():
        db.create_all()
        questionnaires.sync(questionnaires.questionnaire_files(QUESTIONNAIRE_DIR))
        demo.ensure_demo("admin-test-password")
        filled_demo_wave(RESPONSES, seed=5)
        yield app
        huey = job_queue(app).huey
        huey.flush()  # the queue's tables or file go with the database
        huey.storage.close()
        db.session.remove()
        db.engine.dispose()


def test_a_real_worker_makes_the_job_from_the_queue(app_with_queue, tmp_path):
    from sipas.services.waves.lookup import wave_by_code

    owner = accounts.create_user("analyst-q", STAFF_PASSWORD, Role.analyst)
    parameters = {"format": "csv", "unit": None, "language": "vi"}
    job = lifecycle.create(JobKind.export, owner, wave_by_code("demo"), parameters, 0)
    job_id = job.id
    db.session.commit()
    enqueue(job_id)  # into the queue: nothing runs in this process
    db.session.rollback()
    assert db.session.get(Job, job_id).status is JobStatus.queued
    worker = start_worker(app_with_queue.config, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while db.session.get(Job, job_id).status is not JobStatus.done:
            assert time.monotonic() < deadline, "the worker did not make the job"
            time.sleep(0.2)
            db.session.rollback()
    finally:
        stop(worker)
    job = db.session.get(Job, job_id)
    text = files.stored_path(job).read_text(encoding="utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + RESPONSES
