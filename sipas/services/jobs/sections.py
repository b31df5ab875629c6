"""Results sections made by the worker: one job per scope, language, breakdown
and state of the round, shared by every reader allowed to see that scope (the
dashboard checks the scope first; the job's file is never a download)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from markupsafe import Markup

from sipas.extensions import db
from sipas.models import Job, JobKind, JobStatus, Unit, User, Wave
from sipas.services import clock
from sipas.services.jobs import files, lifecycle


def _jobs(wave: Wave, *statuses: JobStatus) -> list[Job]:
    """The round's results jobs not expired, newest first (of ``statuses`` if given)."""
    query = sa.select(Job).where(
        Job.kind == JobKind.results,
        Job.wave_id == wave.id,
        sa.or_(Job.expires_at.is_(None), Job.expires_at > clock.now()),
    )
    if statuses:
        query = query.where(Job.status.in_(statuses))
    return list(db.session.scalars(query.order_by(Job.id.desc())))


def latest(wave: Wave, parameters: dict) -> Job | None:
    """The newest results job for exactly ``parameters`` (fingerprint included),
    whatever its state, whoever asked; None if there is none or its file is gone."""
    for job in _jobs(wave):
        if job.parameters == parameters:
            return None if _file_lost(job) else job
    return None


def earlier(wave: Wave, parameters: dict) -> Job | None:
    """The newest finished job for the same scope, language and breakdown made
    before the round changed (another fingerprint), its file still there."""

    def same_but_older(job: Job) -> bool:
        old = {**job.parameters, "fingerprint": parameters["fingerprint"]}
        return old == parameters and not _file_lost(job)

    return next(filter(same_but_older, _jobs(wave, JobStatus.done)), None)


def job_of_scope(wave: Wave, root: Unit | None, job_id: int) -> Job:
    """Results job ``job_id`` if it is of ``wave`` under ``root`` (a scope the
    caller checked the user may see), whoever asked for it; 404 otherwise."""
    job = db.session.get(Job, job_id)
    unit = root.code if root is not None else None
    if (
        job is None
        or job.kind is not JobKind.results
        or job.wave_id != wave.id
        or job.parameters.get("unit") != unit
    ):
        abort(404)
    return job


def ask(
    owner: User, wave: Wave, parameters: dict, total: int, *, again: bool = False
) -> tuple[Job, bool]:
    """The results job for ``parameters``: the one there (False), else a new one
    asked by ``owner`` (True; the caller commits, then enqueues); ``again``: a new
    one also when the last failed. Askers of a round wait for each other (its row
    locked on PostgreSQL; on SQLite the caller's transaction writes from its
    start), so two readers asking at once get one job."""
    db.session.execute(sa.select(Wave.id).where(Wave.id == wave.id).with_for_update())
    found = latest(wave, parameters)
    if found is not None and not (again and found.status is JobStatus.failed):
        return found, False
    return lifecycle.create(JobKind.results, owner, wave, parameters, total), True


def section_of(job: Job) -> Markup | None:
    """The rendered section a finished results job kept; None if it is not
    finished or its file is gone."""
    path = files.stored_path(job)
    if job.status is not JobStatus.done or not path.exists():
        return None
    html = path.read_text(encoding="utf-8")
    return Markup(html)  # noqa: S704  (rendered, autoescaped by the worker)


def _file_lost(job: Job) -> bool:
    """A finished job whose file is not there (purged, or another machine's)."""
    return job.status is JobStatus.done and not files.stored_path(job).exists()
