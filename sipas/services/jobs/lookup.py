"""Jobs a user may see: administrators all of them, everyone else their own."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask import abort

from sipas.extensions import db
from sipas.models import Job, JobKind, Role, User


def _visible(user: User) -> list[sa.ColumnElement[bool]]:
    return [] if user.role is Role.admin else [Job.owner_id == user.id]


def job_or_404(job_id: int, user: User) -> Job:
    """The job ``job_id`` if ``user`` may see it; 404 otherwise (another user's job
    is not even said to exist)."""
    job = db.session.scalar(sa.select(Job).where(Job.id == job_id, *_visible(user)))
    if job is None:
        abort(404)
    return job


def visible_jobs(user: User, limit: int = 50) -> Sequence[Job]:
    """The newest jobs ``user`` may see, newest first; results sections (shared by
    a scope's readers, shown on the dashboard) only to administrators."""
    query = sa.select(Job).where(*_visible(user))
    if user.role is not Role.admin:
        query = query.where(Job.kind != JobKind.results)
    return db.session.scalars(query.order_by(Job.id.desc()).limit(limit)).all()
