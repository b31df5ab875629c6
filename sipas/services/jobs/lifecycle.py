"""A job's life: created queued, claimed by a worker, progress, done or failed;
stalled jobs tried again; expired files purged. Flushes, never commits, except
``record_progress``, which writes on a connection of its own while the work reads."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import Job, JobKind, JobStatus, User, Wave
from sipas.services import clock
from sipas.services.audit import record_event
from sipas.services.jobs import files

log = logging.getLogger(__name__)


def create(
    kind: JobKind, owner: User, wave: Wave | None, parameters: dict, total: int
) -> Job:
    """A queued job for ``owner`` (the queue is told by the caller, after the
    commit); expired files are purged on the way."""
    purge_expired()
    job = Job(
        kind=kind,
        owner=owner,
        wave=wave,
        parameters=parameters,
        status=JobStatus.queued,
        total=total,
        created_at=clock.now(),
    )
    db.session.add(job)
    db.session.flush()
    record_event(
        "job.create",
        user=owner,
        object_type="job",
        object_id=str(job.id),
        details={"kind": str(kind), "wave": wave.code if wave else None, **parameters},
    )
    return job


def ask(
    kind: JobKind, owner: User, wave: Wave | None, parameters: dict, total: int
) -> tuple[Job, bool]:
    """``owner``'s job for this file: the one already under way or done (False),
    else a new one (True) for the caller to enqueue once committed."""
    found = same_job(kind, owner, wave, parameters)
    if found is not None:
        return found, False
    return create(kind, owner, wave, parameters, total), True


def same_job(
    kind: JobKind, owner: User, wave: Wave | None, parameters: dict
) -> Job | None:
    """``owner``'s job making the same file, still queued, running or done and
    not expired: asking twice does the work once."""
    now = clock.now()
    candidates = db.session.scalars(
        sa.select(Job)
        .where(
            Job.kind == kind,
            Job.owner_id == owner.id,
            Job.wave_id == (wave.id if wave else None),
            Job.status != JobStatus.failed,
            sa.or_(Job.expires_at.is_(None), Job.expires_at > now),
        )
        .order_by(Job.id.desc())
    )
    return next((job for job in candidates if job.parameters == parameters), None)


def start(job_id: int) -> Job | None:
    """Claim a queued job for this worker (one claim wins, even if the queue
    delivered it twice); None when it is not queued any more."""
    now = clock.now()
    claimed = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.queued)
        .values(
            status=JobStatus.running,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            done=0,
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    job = db.session.get(Job, job_id)
    if job is not None:
        db.session.refresh(job)
    return job


def record_progress(job_id: int, done: int, total: int) -> None:
    """Store ``done`` of ``total`` at once, on a connection of its own, so the page
    sees it while the work's reading transaction goes on."""
    _touch(job_id, done=done, total=total)


def beat(job_id: int) -> None:
    """The worker is alive and still on ``job_id`` (its own connection)."""
    _touch(job_id)


def _touch(job_id: int, **values: int) -> None:
    """Write ``values`` and the heartbeat of a running job, committed at once."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.running)
            .values(heartbeat_at=clock.now(), **values)
        )


def finish(job: Job, file_name: str) -> None:
    """Mark ``job`` done: its file is in place (renamed there whole) until it
    expires."""
    now = clock.now()
    job.status = JobStatus.done
    job.file_name = file_name
    job.done = max(job.done, job.total)
    job.finished_at = now
    job.expires_at = now + timedelta(hours=current_app.config["JOBS_KEEP_HOURS"])
    db.session.flush()


def fail(job: Job, message: str) -> None:
    """Mark ``job`` failed with ``message``: words its owner can act on."""
    job.status = JobStatus.failed
    job.error = message
    job.finished_at = clock.now()
    db.session.flush()
    log.warning("job %s failed: %s", job.id, message)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Messages and files in ``language`` outside a request (a worker)."""
    # Flask-Babel ignores force_locale while ``g`` is empty, as it is in a fresh
    # application context
    g.sipas_job_language = language
    with force_locale(language):
        yield


def _language(job: Job) -> str:
    return job.parameters.get("language") or current_app.config["BABEL_DEFAULT_LOCALE"]


def recover_stalled() -> list[int]:
    """Running jobs whose worker went silent (killed, machine restarted): queued
    again while tries remain, else failed with a message. The ids to enqueue."""
    limit = clock.now() - timedelta(seconds=current_app.config["JOBS_STALL_SECONDS"])
    stalled = db.session.scalars(
        sa.select(Job).where(
            Job.status == JobStatus.running,
            sa.or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < limit),
        )
    ).all()
    again = []
    for job in stalled:
        if job.attempts < current_app.config["JOBS_MAX_ATTEMPTS"]:
            job.status = JobStatus.queued
            again.append(job.id)
            log.warning("job %s stalled on try %s: queued again", job.id, job.attempts)
            continue
        with speaking(_language(job)):
            fail(job, stalled_message(job.attempts))
    db.session.flush()
    return again


def stalled_message(attempts: int) -> str:
    """Why a job was given up after its worker stopped ``attempts`` times."""
    return _(
        "The worker stopped while making this file, %(n)d times. Ask for the file "
        "again; if this happens again, tell the administrator (the server may lack "
        "memory or disk space).",
        n=attempts,
    )


def is_expired(job: Job) -> bool:
    """True once a finished job's file has passed its expiry."""
    return job.expires_at is not None and clock.as_utc(job.expires_at) <= clock.now()


def purge_expired() -> int:
    """Delete the files of expired jobs and the temporary files of dead workers;
    how many files were deleted. The jobs stay listed, as expired."""
    expired = db.session.scalars(
        sa.select(Job).where(
            Job.status == JobStatus.done, Job.expires_at <= clock.now()
        )
    ).all()
    deleted = 0
    for job in expired:
        path = files.stored_path(job)
        if path.exists():
            path.unlink()
            deleted += 1
    stale = time.time() - 2 * current_app.config["JOBS_STALL_SECONDS"]
    for path in files.stale_parts(stale):
        path.unlink(missing_ok=True)
        deleted += 1
    return deleted
