"""Job worker processes for tests: the real `flask sipas jobs worker`, or one that
pauses after each batch of a file (tests/jobs/slow_worker.py), on the settings of
a test's app."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.conftest import ROOT

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
