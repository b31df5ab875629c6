"""Where job files live, and how they are written: under a temporary name first,
renamed into place only when whole, so no half-written file is ever served."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from flask import current_app

from sipas.files import SHARED_WITH_GROUP
from sipas.models import Job

#: Files still being written start with this (never served, purged when stale).
PART_PREFIX = ".part-"


def jobs_dir() -> Path:
    """The folder of job files (JOBS_DIR, default instance/jobs), made if missing."""
    folder = Path(
        current_app.config["JOBS_DIR"] or Path(current_app.instance_path) / "jobs"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_path(job: Job) -> Path:
    """The final place of ``job``'s file: named by the job's id, never by a request."""
    return final_path(job.id, job.file_name or "")


def final_path(job_id: int, file_name: str) -> Path:
    """Where job ``job_id``'s file named ``file_name`` for download is kept."""
    return jobs_dir() / f"job-{job_id}{Path(file_name).suffix}"


def write_atomically(
    path: Path, chunks: Iterable[bytes], mode: int = SHARED_WITH_GROUP
) -> int:
    """Write ``chunks`` to a temporary file beside ``path`` with ``mode``
    permissions, flushed to disk, then rename it to ``path`` in one step; the
    bytes written. A failure (or a kill) half-way leaves at most a ``.part-``
    file, never ``path``."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=PART_PREFIX)
    size = 0
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return size


def remove_file(job: Job) -> None:
    """Delete ``job``'s file if it is there."""
    stored_path(job).unlink(missing_ok=True)


def stale_parts(older_than: float) -> list[Path]:
    """Temporary files last written more than ``older_than`` seconds ago (epoch
    time): left by a worker that died, in the folder or below it (the published
    pages' folders)."""
    return [
        path
        for path in jobs_dir().rglob(f"{PART_PREFIX}*")
        if path.stat().st_mtime < older_than
    ]
