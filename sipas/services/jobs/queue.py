"""The job queue: Huey, on a SQLite file by default (no server to run), on Redis or
PostgreSQL for several machines, in memory and at once for tests. It carries only
job ids; what a job is and how far it got is in our ``jobs`` table."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

from sipas.extensions import db
from sipas.models import Wave
from sipas.services.jobs import lifecycle, pages, runner
from sipas.services.waves.lookup import published_waves
from sipas.services.waves.published_pages import remember_address, remembered_address

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

        @huey.task(name="sipas.pages.make")
        def make_pages(wave_code: str, base_url: str, steps: list[tuple]) -> None:
            if huey.immediate:
                _in_thread(app, lambda: _pages_step(wave_code, base_url, steps))
            else:
                with app.app_context():
                    _pages_step(wave_code, base_url, steps)

        @huey.periodic_task(crontab(minute="*"), name="sipas.jobs.tidy")
        def tidy() -> None:
            with app.app_context():
                tidy_up()

        @huey.periodic_task(
            crontab(minute=f"*/{REFRESH_MINUTES}"), name="sipas.pages.refresh"
        )
        def refresh() -> None:
            with app.app_context():
                refresh_pages()

        @huey.on_startup(name="sipas.jobs.recover")
        def recover() -> None:
            with app.app_context():
                tidy_up()

        self.run_job = run_job
        self.make_pages = make_pages
        self.refresh_pages = refresh
        return huey


def _as_worker(app: Flask, job_id: int) -> None:
    """Run a job at once but as a worker would (see _in_thread)."""
    _in_thread(app, lambda: runner.run(job_id))


def _in_thread(app: Flask, work: Callable[[], None]) -> None:
    """Run ``work`` at once but as a worker would: in a thread of its own, in an
    application context, outside the asking request (whose context would make
    every read take SQLite's write lock)."""

    def in_context() -> None:
        with app.app_context():
            work()

    thread = threading.Thread(target=in_context, name="sipas-job")
    thread.start()
    thread.join()


def _pages_step(wave_code: str, base_url: str, steps: list[tuple]) -> None:
    """Make the first of a published round's pages ``steps`` (sipas/services/jobs/
    pages.py), then queue the rest, behind whatever was asked for meanwhile."""
    first, *rest = [pages.PageStep(*step) for step in steps]
    try:
        published = pages.make_page(wave_code, base_url, first)
    except Exception:  # that page is left to its first visitor; the others go on
        log.exception("public page %s of %s not made", first, wave_code)
        published = True
    finally:
        db.session.remove()
    if published:
        _queue_pages(wave_code, base_url, rest)


def _queue_pages(wave_code: str, base_url: str, steps: list[pages.PageStep]) -> None:
    if steps:
        queue = job_queue()
        queue.huey  # noqa: B018  (registers the tasks)
        queue.make_pages(wave_code, base_url, [(s.unit, s.language) for s in steps])


def prepare_pages(wave: Wave, base_url: str) -> bool:
    """Queue the making of a round's public pages, just published, when it is
    large enough to be worth it (True); ``base_url``: the site's address."""
    if not pages.worth_preparing(wave):
        return False
    remember_address(wave.code, base_url)
    _queue_pages(wave.code, base_url, pages.every_step(wave))
    return True


def prepare_pages_again() -> list[str]:
    """At a worker's start: queue the pages of every published round whose pages
    were made in the background, for the address they were made for (after an
    upgrade, the new version's pages; a page kept already is skipped), and of a
    large round published before, for PUBLIC_BASE_URL if it is set. The codes of
    those rounds."""
    queued = []
    site = current_app.config.get("PUBLIC_BASE_URL")
    for wave in published_waves():
        base_url = remembered_address(wave.code)
        if base_url is None and site and pages.worth_preparing(wave):
            base_url = site
            remember_address(wave.code, site)
        if base_url is not None:
            _queue_pages(wave.code, base_url, pages.every_step(wave))
            queued.append(wave.code)
    return queued


#: Minutes between the worker's looks for published pages a change made stale.
REFRESH_MINUTES = 5


def refresh_pages() -> list[str]:
    """Queue the pages no longer kept of each published round whose pages the
    worker made: a change after publication (a unit renamed, a response voided, a
    population corrected) changes what they rest on, and they are made again
    before visitors ask. The codes of those rounds."""
    queued = []
    for wave in published_waves():
        base_url = remembered_address(wave.code)
        missing = pages.missing_steps(wave) if base_url is not None else []
        if base_url is not None and missing:
            _queue_pages(wave.code, base_url, missing)
            queued.append(wave.code)
    return queued


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
