"""The job queue: Huey, on a SQLite file by default (no server to run), on Redis or
PostgreSQL for several machines, in memory and at once for tests. It carries only
job ids; what a job is and how far it got is in our ``jobs`` table."""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

from sipas.extensions import db
from sipas.services.jobs import lifecycle, runner

if TYPE_CHECKING:  # Huey (and the psycopg it tries) is imported when a queue opens
    from huey import Huey

log = logging.getLogger(__name__)

#: The extension key the app keeps its queue under.
EXTENSION = "sipas_jobs"
#: Seconds before the queue runs a job again after an unexpected error.
RETRY_DELAY = 10


class JobQueue:
    """The app's Huey instance, made at first use (a command that runs no job
    opens no queue), with the tasks registered on it."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    @cached_property
    def huey(self) -> Huey:
        """The Huey instance, with the job and housekeeping tasks registered."""
        from huey import crontab

        huey = _make_huey(self.app)
        app = self.app
        tries = int(app.config["JOBS_MAX_ATTEMPTS"])

        @huey.task(retries=tries, retry_delay=RETRY_DELAY, name="sipas.jobs.run")
        def run_job(job_id: int) -> None:
            if huey.immediate:
                _as_worker(app, job_id)
                return
            with app.app_context():
                runner.run(job_id)

        @huey.periodic_task(crontab(minute="*"), name="sipas.jobs.tidy")
        def tidy() -> None:
            with app.app_context():
                tidy_up()

        @huey.on_startup(name="sipas.jobs.recover")
        def recover() -> None:
            with app.app_context():
                tidy_up()

        self.run_job = run_job
        return huey


def _as_worker(app: Flask, job_id: int) -> None:
    """Run a job at once but as a worker would: in a thread of its own, outside the
    asking request (whose context would make every read take SQLite's write lock)."""

    def work() -> None:
        with app.app_context():
            runner.run(job_id)

    thread = threading.Thread(target=work, name=f"job-{job_id}")
    thread.start()
    thread.join()


def _make_huey(app: Flask) -> Huey:
    """The Huey instance JOBS_QUEUE_URL names (see sipas/config.py)."""
    from huey import MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey

    url = app.config["JOBS_QUEUE_URL"] or ""
    name = "sipas"
    if url == "memory":
        return MemoryHuey(name, immediate=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url)
    if url.startswith("postgresql"):
        return PostgresHuey(
            name, dsn=url.replace("postgresql+psycopg://", "postgresql://")
        )
    filename = url.removeprefix("sqlite:///") or str(
        Path(app.instance_path) / "jobs-queue.sqlite3"
    )
    Path(filename).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=filename)


def configure_jobs(app: Flask) -> None:
    """Give the app its job queue (opened at first use)."""
    app.extensions[EXTENSION] = JobQueue(app)


def job_queue(app: Flask | None = None) -> JobQueue:
    """The queue of ``app`` (default: the current app)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions[EXTENSION]


def enqueue(job_id: int) -> None:
    """Hand job ``job_id`` to a worker; call after the job's row is committed."""
    queue = job_queue()
    queue.huey  # noqa: B018  (registers the tasks)
    queue.run_job(job_id)


def tidy_up() -> None:
    """Queue stalled jobs again (or fail them) and purge expired files; commits
    (the worker's housekeeping is an edge of its own)."""
    stalled = lifecycle.stalled_jobs()
    db.session.commit()  # on SQLite, a transaction that read cannot then write
    again = lifecycle.recover(stalled)
    db.session.commit()
    purged = lifecycle.purge_expired()
    for job_id in again:
        enqueue(job_id)
    if again or purged:
        log.info("jobs queued again: %s; files purged: %s", again, purged)
