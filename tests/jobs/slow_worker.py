"""A real job worker (`flask sipas jobs worker`) that pauses after each batch of a
file but the last: the moment a test kills it mid-file, or watches its progress.
With SIPAS_STORE_MARKER set, an import pauses instead between storing its responses
and their answers, in the transaction not yet committed, once it has created that
file (the moment a test kills it mid-store).

Run as ``python tests/jobs/slow_worker.py`` with the SIPAS_* settings of the test
in its environment.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sipas import create_app
from sipas.services.jobs import runner
from sipas.services.responses import bulk

#: Seconds of each pause (SIPAS_PAUSE_SECONDS); by default longer than any test
#: waits: only SIGKILL ends it.
PAUSE_SECONDS = float(os.environ.get("SIPAS_PAUSE_SECONDS", "600"))
STORE_MARKER = os.environ.get("SIPAS_STORE_MARKER")
_progress_writer = runner._progress_writer
_insert_answers = bulk.insert_answers


def _pausing_writer(job_id: int):
    progress = _progress_writer(job_id)

    def pausing(done: int, total: int) -> None:
        progress(done, total)
        if 0 < done < total:
            time.sleep(PAUSE_SECONDS)

    return pausing


def _pausing_insert(answers, meanwhile=None):
    Path(STORE_MARKER or "").touch()
    time.sleep(PAUSE_SECONDS)
    return _insert_answers(answers, meanwhile)


if __name__ == "__main__":
    runner.PROGRESS_EVERY = 0
    if STORE_MARKER:
        bulk.insert_answers = _pausing_insert
    else:
        runner._progress_writer = _pausing_writer
    create_app().test_cli_runner().invoke(
        args=["sipas", "jobs", "worker"], catch_exceptions=False
    )
