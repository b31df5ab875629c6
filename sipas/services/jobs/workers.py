"""Whether a job worker runs. Each worker process marks a file in JOBS_DIR every
ALIVE_SECONDS, from a thread of its own (however busy its jobs keep it); a job
that waits while no worker has marked it for SILENCE_SECONDS says that the worker
may not be running, rather than "waiting" for ever (an installation whose worker
service was never started)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from flask import Flask
from flask_babel import gettext as _

from sipas.services import clock
from sipas.services.jobs.files import jobs_dir

#: Seconds between a worker's marks.
ALIVE_SECONDS = 30
#: Seconds without a mark after which no worker is taken to run.
SILENCE_SECONDS = 120
#: The file a worker marks, in JOBS_DIR.
ALIVE_FILE = "worker.alive"


def mark_alive() -> None:
    """Mark that a worker runs now (in an application context)."""
    folder = jobs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ALIVE_FILE).touch()


def keep_marking(app: Flask) -> threading.Event:
    """Mark now, then every ALIVE_SECONDS for as long as the process runs (a
    daemon thread), or until the event returned is set."""
    stop = threading.Event()

    def marking() -> None:
        while True:
            with app.app_context():
                mark_alive()
            if stop.wait(ALIVE_SECONDS):
                return

    thread = threading.Thread(target=marking, name="sipas-worker-alive", daemon=True)
    thread.start()
    return stop


def seems_absent(waiting_since: datetime) -> bool:
    """True when a job queued at ``waiting_since`` has waited SILENCE_SECONDS
    and no worker has marked the file for as long."""
    now = clock.now()
    if now - clock.as_utc(waiting_since) < timedelta(seconds=SILENCE_SECONDS):
        return False
    try:
        marked = (jobs_dir() / ALIVE_FILE).stat().st_mtime
    except FileNotFoundError:
        return True
    return time.time() - marked > SILENCE_SECONDS


def no_worker_text() -> str:
    """What a job waiting with no worker running says, in the current language."""
    return _(
        "No background worker has taken this up yet. The worker service (flask "
        "sipas jobs worker) may not be running: tell the system administrator."
    )
