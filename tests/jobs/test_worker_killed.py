"""A worker killed with SIGKILL in the middle of writing a file: the file never
appears half-written at its final name, and the job is made again by the next
worker, or, without tries left, fails with a message in words."""

from __future__ import annotations

import csv
import io
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Job, JobKind, JobStatus, Role
from sipas.services import accounts
from sipas.services.jobs import files, lifecycle
from sipas.services.jobs.queue import enqueue
from sipas.services.results.exports import count_counted
from tests.conftest import STAFF_PASSWORD, login
from tests.factories import filled_demo_wave
from tests.jobs.workers import SLOW_WORKER, shared_app, start_worker, stop

#: More responses than one batch of the export (2,000): the worker is killed
#: after the first batch has been written and before the last.
RESPONSES = 2500


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[dict]:
    """An app on a database and a job queue (a SQLite file) that worker
    processes share, with the demo round of RESPONSES responses."""
    with shared_app(tmp_path) as shared:
        yield {**shared, "wave": filled_demo_wave(RESPONSES, seed=3)}


def job_row(job_id: int) -> Job:
    """The job as stored now. Ends the test's transaction first: one begun by a
    test client's POST holds SQLite's write lock, which the workers need."""
    db.session.rollback()
    return db.session.get(Job, job_id)


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def wait_until_stalled(job_id: int) -> None:
    """Wait until the killed worker's job has been silent for the stall time: a
    worker queues such a job again when it starts, then only once a minute, so
    the next worker must not start sooner (it starts in under a second)."""

    def stalled() -> bool:
        db.session.rollback()  # see the job as stored now
        return job_id in {job.id for job in lifecycle.stalled_jobs()}

    wait_for(stalled, seconds=10)
    db.session.rollback()


def parts(setup: dict) -> list[Path]:
    return sorted(Path(setup["settings"]["JOBS_DIR"]).glob(f"{files.PART_PREFIX}*"))


def killed_mid_file(setup: dict, max_attempts: int) -> Job:
    """Ask for the CSV, let a slow worker write its first batch, kill it."""
    owner = accounts.create_user("analyst-1", STAFF_PASSWORD, Role.analyst)
    parameters = {"format": "csv", "unit": None, "language": "vi"}
    job, _new = lifecycle.ask(
        JobKind.export, owner, setup["wave"], parameters, RESPONSES
    )
    job_id = job.id
    db.session.commit()
    slow = start_worker(
        setup["settings"],
        setup["folder"],
        SLOW_WORKER,
        JOBS_MAX_ATTEMPTS=max_attempts,
    )
    try:
        enqueue(job_id)
        wait_for(lambda: any(p.stat().st_size > 0 for p in parts(setup)))
        wait_for(lambda: job_row(job_id).done > 0)
    finally:
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=10)
    killed = job_row(job_id)
    assert killed.status is JobStatus.running
    assert 0 < killed.done < RESPONSES
    return killed


def test_killed_worker_leaves_no_file_and_the_job_is_made_again(setup):
    job = killed_mid_file(setup, max_attempts=2)
    final = files.final_path(job.id, "sipas-demo.csv")
    assert not final.exists()  # only the temporary file, never served
    assert parts(setup)
    client = setup["app"].test_client()
    login(client, "analyst-1", STAFF_PASSWORD)
    answer = client.get(f"/admin/jobs/{job.id}/file")
    assert answer.status_code == 302  # back to the job's page: nothing to send
    wait_until_stalled(job.id)
    again = start_worker(setup["settings"], setup["folder"], JOBS_MAX_ATTEMPTS=2)
    try:
        wait_for(lambda: job_row(job.id).status is JobStatus.done)
    finally:
        stop(again)
    done = job_row(job.id)
    assert (done.attempts, done.done, done.error) == (2, RESPONSES, None)
    rows = list(csv.reader(io.StringIO(final.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1 + count_counted(setup["wave"]) == 1 + RESPONSES
    with client.get(f"/admin/jobs/{job.id}/file") as download:
        assert download.status_code == 200
        assert download.data == final.read_bytes()
    time.sleep(1)  # the temporary file is twice the stall time old
    lifecycle.purge_expired()
    assert parts(setup) == []


def test_killed_worker_without_tries_left_fails_in_words(setup):
    job = killed_mid_file(setup, max_attempts=1)
    wait_until_stalled(job.id)
    again = start_worker(setup["settings"], setup["folder"], JOBS_MAX_ATTEMPTS=1)
    try:
        wait_for(lambda: job_row(job.id).status in (JobStatus.done, JobStatus.failed))
    finally:
        stop(again)
    failed = job_row(job.id)
    assert failed.status is JobStatus.failed
    assert failed.error.startswith(
        "Máy xử lý đã dừng giữa chừng khi tạo tệp này, 1 lần."
    )
    assert not files.final_path(job.id, "sipas-demo.csv").exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
