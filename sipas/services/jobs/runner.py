"""A worker's run of one job. This is the edge of the work, as a view is of a
request: it commits, so the page sees the job start, progress and end."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from sipas.extensions import db
from sipas.models import Job, JobKind
from sipas.services.jobs import files, importing, lifecycle, work

log = logging.getLogger(__name__)

#: Least seconds between two progress writes (a batch takes a fraction of that).
PROGRESS_EVERY = 0.5


class TryAgain(Exception):
    """The job broke off with tries left: the queue runs it again."""


def run(job_id: int) -> None:
    """Claim job ``job_id``, make its file and mark it done, or failed in words;
    an unexpected error with tries left queues it again (TryAgain)."""
    job = lifecycle.start(job_id)
    db.session.commit()
    if job is None:
        log.info("job %s is not queued any more: skipped", job_id)
        return
    language = (
        job.parameters.get("language") or current_app.config["BABEL_DEFAULT_LOCALE"]
    )
    kind = job.kind
    with lifecycle.speaking(language), _heartbeat(job_id):
        try:
            _make(job)
        except work.JobRefused as refused:
            _give_up(job_id, str(refused))
        except Exception as error:
            log.exception("job %s broke off", job_id)
            if _after_error(job_id, kind):
                raise TryAgain(job_id) from error
    db.session.commit()


def _make(job: Job) -> None:
    """Write the file under a temporary name, rename it into place, mark done."""
    job_id = job.id
    if job.kind is JobKind.import_:
        _import(job)
        return
    made = work.make(job, _progress_writer(job_id))
    files.write_atomically(files.final_path(job_id, made.file_name), made.chunks)
    # end the transaction the work read in before writing: on SQLite it could not
    # become a writer after the progress writes of the other connection
    db.session.rollback()
    lifecycle.finish(job_id, made.file_name)
    db.session.commit()
    log.info("job %s done: %s", job_id, made.file_name)


def _import(job: Job) -> None:
    """Check the kept file (reading, with progress), then in one transaction mark
    the job done, store the rows and keep the outcome: a worker killed before the
    commit leaves nothing stored, and the job is tried again."""
    job_id, file_name = job.id, job.file_name or ""
    checked = importing.check(job, _progress_writer(job_id))
    # a fresh transaction whose first statement writes (on SQLite, one that has
    # read could not write after the progress writes of the other connection)
    db.session.rollback()
    if not lifecycle.finish(job_id, file_name):
        db.session.rollback()
        return
    importing.store(job_id, checked)
    db.session.commit()
    importing.finished(job_id)
    log.info("job %s done: %s imported", job_id, file_name)


def _progress_writer(job_id: int) -> work.Progress:
    """A progress callback that writes at most every PROGRESS_EVERY seconds (and
    always the first and the last count)."""
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done in (0, total) or now - last >= PROGRESS_EVERY:
            _quietly(lifecycle.record_progress, job_id, done, total)
            last = now

    return progress


def _quietly(write: Callable[..., None], *args: int) -> None:
    """A progress or heartbeat write; one that fails (the database busy for longer
    than its timeout) is logged and skipped: the file matters, not the counter."""
    try:
        write(*args)
    except SQLAlchemyError:
        log.warning("job %s: progress not recorded", args[0], exc_info=True)


def _give_up(job_id: int, message: str) -> None:
    db.session.rollback()  # a fresh transaction, whose first statement writes
    lifecycle.fail(job_id, message)
    db.session.commit()


def _after_error(job_id: int, kind: JobKind) -> bool:
    """Queue the job again while tries remain (True), else fail it in words."""
    db.session.rollback()
    if lifecycle.queue_again(job_id):
        db.session.commit()
        return True
    _give_up(job_id, _error_message(kind, current_app.config["JOBS_MAX_ATTEMPTS"]))
    return False


def _error_message(kind: JobKind, tries: int) -> str:
    """Why a job was given up after ``tries`` unexpected errors."""
    if kind is JobKind.results:
        return _(
            "The results could not be computed after %(n)d tries. Try again "
            "later; if it fails again, tell the administrator.",
            n=tries,
        )
    return _(
        "The file could not be made after %(n)d tries. Ask for it again in a few "
        "minutes; if it fails again, tell the administrator.",
        n=tries,
    )


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """Tell the database every few seconds that this worker is alive, whatever
    stage the work is in (a PDF is laid out with no progress to report)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    every = max(0.2, app.config["JOBS_STALL_SECONDS"] / 5)
    stop = threading.Event()

    def beat() -> None:
        with app.app_context():
            while not stop.wait(every):
                _quietly(lifecycle.beat, job_id)

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
