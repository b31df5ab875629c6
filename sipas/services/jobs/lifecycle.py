"""A job's life: created queued, claimed by a worker, progress, done or failed;
stalled jobs tried again; expired files purged. Flushes, never commits, except
``record_progress``, which writes on a connection of its own while the work reads."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def finish(job_id: int, file_name: str) -> bool:
    """Mark the job done: its file is in place (renamed there whole) until it
    expires; False if it was not running any more. One UPDATE, so on SQLite it
    needs no read of the row first."""
    now = clock.now()
    keep = timedelta(hours=current_app.config["JOBS_KEEP_HOURS"])
    finished = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.running)
        .values(
            status=JobStatus.done,
            file_name=file_name,
            done=Job.total,
            finished_at=now,
            expires_at=now + keep,
        )
    )
    return finished.rowcount == 1  # type: ignore[attr-defined]


def fail(job_id: int, message: str) -> None:
    """Mark the job failed with ``message``: words its owner can act on."""
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status != JobStatus.done)
        .values(status=JobStatus.failed, error=message, finished_at=clock.now())
    )
    log.warning("job %s failed: %s", job_id, message)


def queue_again(job_id: int) -> bool:
    """Put a running job back in the queue if it has tries left; True if so."""
    queued = db.session.execute(
        sa.update(Job)
        .where(
            Job.id == job_id,
            Job.status == JobStatus.running,
            Job.attempts < current_app.config["JOBS_MAX_ATTEMPTS"],
        )
        .values(status=JobStatus.queued)
    )
    return queued.rowcount == 1  # type: ignore[attr-defined]


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Messages and files in ``language`` outside a request (a worker)."""
    # Flask-Babel ignores force_locale while ``g`` is empty, as it is in a fresh
    # application context
    g.sipas_job_language = language
    with force_locale(language):
        yield


@dataclass(frozen=True)
class Stalled:
    """A running job whose worker went silent (killed, machine restarted)."""

    id: int
    attempts: int
    language: str
    kind: JobKind


def stalled_jobs() -> list[Stalled]:
    """Running jobs with no sign of life for JOBS_STALL_SECONDS."""
    rows = db.session.execute(
        sa.select(Job.id, Job.attempts, Job.parameters, Job.kind).where(
            Job.status == JobStatus.running, Job.heartbeat_at < _stall_limit()
        )
    )
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return [
        Stalled(job_id, attempts, (parameters or {}).get("language") or default, kind)
        for job_id, attempts, parameters, kind in rows
    ]


def _stall_limit() -> datetime:
    return clock.now() - timedelta(seconds=current_app.config["JOBS_STALL_SECONDS"])


def recover(stalled: list[Stalled]) -> list[int]:
    """Queue ``stalled`` jobs again while tries remain, else fail them with a
    message; the ids to enqueue. Each is one UPDATE that checks the job is still
    stalled (on SQLite: call it in a transaction that has not read yet)."""
    again = []
    for job in stalled:
        still = [
            Job.id == job.id,
            Job.status == JobStatus.running,
            Job.heartbeat_at < _stall_limit(),
        ]
        if job.attempts < current_app.config["JOBS_MAX_ATTEMPTS"]:
            db.session.execute(
                sa.update(Job).where(*still).values(status=JobStatus.queued)
            )
            again.append(job.id)
            log.warning("job %s stalled on try %s: queued again", job.id, job.attempts)
            continue
        with speaking(job.language):
            message = stalled_message(job.kind, job.attempts)
        db.session.execute(
            sa.update(Job)
            .where(*still)
            .values(status=JobStatus.failed, error=message, finished_at=clock.now())
        )
    return again


def stalled_message(kind: JobKind, attempts: int) -> str:
    """Why a job was given up after its worker stopped ``attempts`` times, in the
    words of what the job was doing."""
    if kind is JobKind.results:
        return _(
            "The worker stopped while computing these results, %(n)d times. Try "
            "again; if this happens again, tell the administrator (the server may "
            "lack memory).",
            n=attempts,
        )
    if kind is JobKind.import_:
        return _(
            "The worker stopped while checking and storing this file, %(n)d times, "
            "and nothing of it was stored. Upload the file again; if this happens "
            "again, tell the administrator (the server may lack memory or disk "
            "space).",
            n=attempts,
        )
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
    now = clock.now()
    kept_since = now - timedelta(hours=current_app.config["JOBS_KEEP_HOURS"])
    expired = db.session.scalars(
        sa.select(Job).where(
            sa.or_(
                sa.and_(Job.status == JobStatus.done, Job.expires_at <= now),
                # a failed import keeps the file it read for as long
                sa.and_(Job.status == JobStatus.failed, Job.finished_at <= kept_since),
            )
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
