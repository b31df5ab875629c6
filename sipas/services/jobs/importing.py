"""Response files too large to check in a request: kept beside their job, checked
by a worker with progress, then stored, with the outcome, in one transaction."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, g

from sipas.extensions import db
from sipas.files import OWNER_ONLY
from sipas.language import current_language
from sipas.models import Job, JobKind, JobStatus, User, Wave, WaveStatus
from sipas.services.jobs import files, lifecycle
from sipas.services.responses import imports
from sipas.services.units.rows import RowError

#: Problems kept with the job (the page shows as many; the total is kept too).
KEPT_ERRORS = 500


def is_large(filename: str, data: bytes) -> bool:
    """True when the file is checked and stored by a job (JOBS_MIN_IMPORT_ROWS)."""
    threshold = current_app.config["JOBS_MIN_IMPORT_ROWS"]
    return imports.is_large(filename, data, threshold)


def ask(wave: Wave, owner: User, filename: str, data: bytes, language: str) -> Job:
    """A queued import of ``data`` into ``wave``; the file kept beside the job
    until it expires (the caller commits, then enqueues)."""
    parameters = {"file": filename, "language": language, "valid_only": False}
    job = lifecycle.create(JobKind.import_, owner, wave, parameters, total=0)
    job.file_name = filename[:255]
    # as uploaded: comments unmasked (phone numbers, names), for the worker only
    files.write_atomically(files.stored_path(job), [data], OWNER_ONLY)
    return job


def ask_valid_rows(source: Job, owner: User) -> tuple[Job, bool]:
    """The import of the valid rows of ``source``'s file, asked for once (a second
    ask finds the first); True when new, for the caller to enqueue."""
    parameters = {**source.parameters, "valid_only": True, "source": source.id}
    valid = (source.outcome or {}).get("valid", 0)
    job, new = lifecycle.ask(JobKind.import_, owner, source.wave, parameters, valid)
    if new:
        job.file_name = source.file_name
        _decided(source, DECIDED_VALID_ONLY, followed_by=job.id)
    return job, new


#: What the owner of a checked file with problems decided (``outcome["decision"]``).
DECIDED_VALID_ONLY, DECIDED_NOTHING = "valid_only", "nothing"


def _decided(job: Job, decision: str, **details: object) -> None:
    """Keep the owner's decision about ``job``'s file in its outcome."""
    job.outcome = {**(job.outcome or {}), "decision": decision, **details}
    db.session.flush()


def decision_of(job: Job) -> tuple[str | None, int | None]:
    """The decision taken about ``job``'s file, and the job that imported its
    valid rows (None, None while none is taken)."""
    outcome = job.outcome or {}
    return outcome.get("decision"), outcome.get("followed_by")


def awaits_decision(job: Job, user: User) -> bool:
    """True when ``user`` may decide about ``job``'s file: theirs (the valid rows
    are those of their scope), with problems and valid rows, and still kept."""
    return job.owner_id == user.id and _undecided(job)


def _undecided(job: Job) -> bool:
    """True when ``job`` found problems and valid rows, its file is still kept
    for its owner to import those rows, or nothing, and its round is still open
    (rows are imported into open rounds only)."""
    outcome = job.outcome or {}
    return (
        job.kind is JobKind.import_
        and job.wave is not None
        and job.wave.status is WaveStatus.open
        and job.status is JobStatus.done
        and not job.parameters.get("valid_only")
        and outcome.get("imported", 0) == 0
        and outcome.get("error_count", 0) > 0
        and outcome.get("valid", 0) > 0
        and not lifecycle.is_expired(job)
        and files.stored_path(job).exists()
    )


def forget(job: Job) -> None:
    """Delete ``job``'s kept file: nothing more is imported from it."""
    files.remove_file(job)


def decline(job: Job) -> None:
    """Import nothing from ``job``'s file, as its owner decided: the file is
    deleted and the decision kept."""
    forget(job)
    _decided(job, DECIDED_NOTHING)


def source_file(job: Job) -> Path:
    """The kept file ``job`` reads: its own, or its source's (valid rows only)."""
    source = job.parameters.get("source")
    found = db.session.get(Job, source) if source else job
    return files.stored_path(found or job)


def check(job: Job, progress: imports.RowsChecked) -> imports.Checked:
    """Read and check ``job``'s file; reads only, stores nothing."""
    wave = job.wave
    assert wave is not None  # noqa: S101  (an import is always into a round)
    data = source_file(job).read_bytes()
    return imports.check_file(wave, job.file_name or "", data, job.owner, progress)


def store(job_id: int, checked: imports.Checked) -> None:
    """Store the rows ``checked`` allows and keep the outcome with the job, in the
    caller's transaction (which marked the job done first: a kill before the
    commit leaves neither rows nor a finished job)."""
    job = db.session.get(Job, job_id)
    wave = job.wave if job is not None else None
    if job is None or wave is None:
        return
    data = source_file(job).read_bytes()
    valid_only = bool(job.parameters.get("valid_only"))
    report = imports.store_checked_file(
        wave, job.file_name or "", data, job.owner, checked, valid_only
    )
    db.session.execute(
        sa.update(Job).where(Job.id == job_id).values(outcome=outcome(report))
    )


def finished(job_id: int) -> None:
    """After the commit: the file of a job that needs no decision is deleted; a
    valid-rows import deletes its source's (the decision is made)."""
    job = db.session.get(Job, job_id)
    if job is None:
        return
    if job.parameters.get("valid_only"):
        source = db.session.get(Job, job.parameters.get("source"))
        if source is not None:
            forget(source)
    elif not _undecided(job):
        forget(job)


def outcome(report: imports.ImportReport) -> dict:
    """What is kept of ``report``: its counts and the first problems, worded in
    each language of the site."""
    return {
        "rows": report.rows,
        "imported": report.imported,
        "already": report.already,
        "bad_rows": report.bad_rows,
        "valid": report.valid,
        "waiting": report.waiting,
        "batch_id": report.batch_id,
        "file_error": _in_each_language(report.file_error)
        if report.file_error
        else None,
        "error_count": len(report.errors),
        "errors": [
            [error.row, error.column, _in_each_language(error.message)]
            for error in report.errors[:KEPT_ERRORS]
        ],
    }


def _in_each_language(message: object) -> dict[str, str]:
    """``message`` in each language of the site (a lazy text is worded again in
    each), so that the report reads in the language of whoever opens it."""
    before = g.get("sipas_job_language")
    texts = {}
    try:
        for language in current_app.config["LANGUAGES"]:
            with lifecycle.speaking(language):
                texts[language] = str(message)
    finally:
        if before is None:
            g.pop("sipas_job_language", None)
        else:
            g.sipas_job_language = before
    return texts


def _in_current_language(kept: str | dict[str, str] | None) -> str | None:
    """A kept text in the reader's language (a report kept before reports were
    kept in every language is in the one it was made in)."""
    if not isinstance(kept, dict):
        return kept
    return kept.get(current_language()) or next(iter(kept.values()), None)


def report_of(job: Job) -> imports.ImportReport | None:
    """The report kept with a finished import (its first problems only)."""
    kept = job.outcome
    if kept is None:
        return None
    errors = tuple(
        RowError(row, column, _in_current_language(message) or "")
        for row, column, message in kept["errors"]
    )
    fields = {k: v for k, v in kept.items() if k in REPORT_FIELDS}
    fields["file_error"] = _in_current_language(fields.get("file_error"))
    return imports.ImportReport(errors=errors, **fields)


#: The outcome's keys that are fields of the report (besides its errors).
REPORT_FIELDS = frozenset(
    field.name for field in dataclasses.fields(imports.ImportReport)
) - {"errors"}
