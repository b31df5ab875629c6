"""Background jobs: large files made off the request, with their progress."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.extensions import Model
from sipas.models.base import Timestamp, enum_column, utcnow
from sipas.models.users import User
from sipas.models.waves import Wave


class JobKind(enum.StrEnum):
    """What a job makes."""

    export = "export"
    report = "report"
    #: a batch of numbered paper forms, printed as one PDF
    paper = "paper"
    #: a file of responses checked and stored (``import`` is a Python keyword)
    import_ = "import"
    #: a round's results section for the dashboard, rendered as HTML (shared by
    #: every reader of the scope: shown through the dashboard only)
    results = "results"
    #: the QR posters of every unit of a round, as one PDF
    posters = "posters"


class JobStatus(enum.StrEnum):
    """Where a job is: waiting for a worker, being made, finished or given up."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(Model):
    """One file made in the background for one user.

    Progress and status live here, not in the job queue, so the page reads them
    whatever queue runs the work (SQLite, Redis or PostgreSQL).
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(enum_column(JobKind))
    #: Who asked for it: the only one who sees it, besides administrators.
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    wave_id: Mapped[int | None] = mapped_column(sa.ForeignKey("waves.id"))
    #: What to make, as the request gave it (format, unit code, language …).
    parameters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus), default=JobStatus.queued
    )
    #: Responses written so far, of ``total`` (0 of 0 before the count is known).
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: Tries so far: a worker that died mid-way leaves the job to be tried again.
    attempts: Mapped[int] = mapped_column(default=0)
    #: The name the download gets (``sipas-2024-all.xlsx``); None until done.
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    #: Why it failed, in words a user can act on (in the interface's language).
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: What an import found and did (counts, the first problems), committed with
    #: the stored rows; None for the other kinds and before the end.
    outcome: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Last sign of life from the worker: a running job silent for long is stalled.
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: When the finished file is deleted (its download then says it has expired).
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp, index=True)

    owner: Mapped[User] = relationship()
    wave: Mapped[Wave | None] = relationship()

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
