"""A worker killed with SIGKILL while it stores an imported file: its responses
were written in a transaction not yet committed, so nothing is stored and the job
is still running; the next worker imports the file whole, once."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import ImportBatch, Job, JobStatus, Response, Role
from sipas.services import accounts
from sipas.services.jobs import importing
from sipas.services.jobs.queue import enqueue
from sipas.services.questionnaires import parsed
from sipas.services.units.lookup import unit_by_code
from tests.conftest import STAFF_PASSWORD
from tests.factories import demo_target
from tests.jobs.test_worker_killed import job_row, wait_for, wait_until_stalled
from tests.jobs.workers import SLOW_WORKER, shared_app, start_worker, stop
from tests.responses.test_imports import csv_file, make_row

#: Rows of the file: fewer than a batch of progress, so the check never pauses.
ROWS = 300


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[dict]:
    """An app on a database and a job queue that worker processes share."""
    with shared_app(tmp_path) as shared:
        yield shared


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_worker_killed_mid_store_leaves_nothing_and_the_retry_imports_once(setup):
    wave = demo_target()[0]
    owner = accounts.create_user(
        "surveyor-1", STAFF_PASSWORD, Role.surveyor, unit=unit_by_code("QN-HALONG")
    )
    questionnaire = parsed(wave.questionnaire)
    data = csv_file([make_row(questionnaire) for _ in range(ROWS)])
    job_id = importing.ask(wave, owner, "big.csv", data, "vi").id
    db.session.commit()
    marker = setup["folder"] / "storing"
    slow = start_worker(
        setup["settings"],
        setup["folder"],
        SLOW_WORKER,
        JOBS_MAX_ATTEMPTS=2,
        STORE_MARKER=marker,
    )
    try:
        enqueue(job_id)
        wait_for(marker.exists)  # its responses are written, not committed
    finally:
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=10)
    killed = job_row(job_id)
    assert (killed.status, killed.outcome, killed.done) == (
        JobStatus.running,
        None,
        ROWS,
    )
    assert (count(Response), count(ImportBatch)) == (0, 0)
    wait_until_stalled(job_id)
    again = start_worker(setup["settings"], setup["folder"], JOBS_MAX_ATTEMPTS=2)
    # it finds the job stalled, queues it again, runs it
    try:
        wait_for(lambda: job_row(job_id).status in (JobStatus.done, JobStatus.failed))
    finally:
        stop(again)
    done = job_row(job_id)
    assert (done.status, done.attempts) == (JobStatus.done, 2)
    assert (done.outcome["imported"], done.outcome["already"]) == (ROWS, 0)
    assert (count(Response), count(ImportBatch)) == (ROWS, 1)
    uuids = db.session.scalar(sa.select(sa.func.count(sa.distinct(Response.uuid))))
    assert uuids == ROWS
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 1
