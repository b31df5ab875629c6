"""Job worker processes for tests: the real `flask sipas jobs worker`, or one that
pauses after each batch of a file (tests/jobs/slow_worker.py), on the settings of
a test's app."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sipas.extensions import db
from sipas.services import demo, questionnaires
from tests.conftest import QUESTIONNAIRE_DIR, ROOT, make_app
from tests.databases import databases

PYTHON = str(ROOT / ".venv" / "bin" / "python")
WORKER = ("-m", "flask", "--app", "wsgi", "sipas", "jobs", "worker")
SLOW_WORKER = ("tests/jobs/slow_worker.py",)


def start_worker(
    settings: dict,
    log_folder: Path,
    command: tuple[str, ...] = WORKER,
    **more: object,
) -> subprocess.Popen:
    """A worker process on the database, queue and folder of ``settings`` (an
    app's config), with ``more`` settings (``JOBS_MAX_ATTEMPTS=1``) and, for the
    slow worker, ``PAUSE_SECONDS``; its output goes to a log in ``log_folder``."""
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"],
        "SIPAS_SECRET_KEY": "test-secret",
        "SIPAS_JOBS_QUEUE_URL": settings["JOBS_QUEUE_URL"],
        "SIPAS_JOBS_DIR": settings["JOBS_DIR"],
        "SIPAS_JOBS_STALL_SECONDS": str(settings["JOBS_STALL_SECONDS"]),
        "PYTHONPATH": str(ROOT),  # this checkout's sipas, whatever the venv links
    }
    env.update({f"SIPAS_{name}": str(value) for name, value in more.items()})
    log = log_folder / f"worker-{time.monotonic_ns()}.log"
    with log.open("wb") as output:  # the child keeps its own copy of the handle
        return subprocess.Popen(  # noqa: S603  (our own interpreter and script)
            [PYTHON, *command], cwd=ROOT, env=env, stdout=output, stderr=output
        )


def stop(worker: subprocess.Popen) -> None:
    """Stop a worker as Ctrl+C does (it finishes nothing half-way: it is idle)."""
    worker.send_signal(2)  # SIGINT
    worker.wait(timeout=30)


@contextmanager
def shared_app(folder: Path) -> Iterator[dict]:
    """In its context, an app with the demo data on a database and a job queue (a
    SQLite file) that worker processes share; its ``settings`` for them."""
    path = folder / "sipas.db"
    settings = {
        "SQLALCHEMY_DATABASE_URI": databases.url_for(path, with_tables=True),
        "JOBS_QUEUE_URL": f"sqlite:///{folder / 'queue.sqlite3'}",
        "JOBS_DIR": str(folder / "jobs"),
        "JOBS_STALL_SECONDS": 1,
    }
    app = make_app(path, **settings)
    with app.app_context():
        db.create_all()
        questionnaires.sync(questionnaires.questionnaire_files(QUESTIONNAIRE_DIR))
        demo.ensure_demo("admin-test-password")
        try:
            yield {"app": app, "settings": settings, "folder": folder}
        finally:
            db.session.remove()
            db.engine.dispose()
