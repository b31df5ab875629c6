"""Background jobs: the list of one's large downloads and reports, a job's page
with its progress (polled as JSON), and its file once made."""

from __future__ import annotations

from flask import g, jsonify, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from sipas.admin.blueprint import bp
from sipas.auth.decorators import READERS, role_required
from sipas.extensions import db
from sipas.files import MEDIA_TYPES
from sipas.i18n import format_moment, format_number
from sipas.models import Job, JobKind, JobStatus, Role, Wave
from sipas.services.audit import record_event
from sipas.services.jobs import files, importing, lifecycle, workers
from sipas.services.jobs.lookup import job_or_404, visible_jobs
from sipas.services.jobs.queue import enqueue
from sipas.services.paper.posters import record_poster_download
from sipas.services.responses import imports
from sipas.services.units.lookup import unit_by_code

#: Who may follow jobs: readers their downloads, surveyors their large imports.
JOB_OWNERS = (*READERS, Role.surveyor)
#: The page a job of these kinds is asked from, whose menu entry its page is under.
ASKED_FROM = {JobKind.paper: "admin.paper_forms", JobKind.posters: "admin.posters"}


def job_started(
    kind: JobKind, wave: Wave, parameters: dict, total: int
) -> ResponseReturnValue:
    """Ask for the current user's job making this file (the one under way or done,
    if there is one), commit, queue it if new, and show its progress."""
    job, is_new = lifecycle.ask(kind, current_user, wave, parameters, total)
    job_id = job.id  # read before the commit: reading after it would lock SQLite
    db.session.commit()
    if is_new:
        enqueue(job_id)
    return redirect(url_for("admin.job", job_id=job_id), code=303)


def progress_text(job: Job) -> str:
    """How far ``job`` is, in words: "đã xử lý 42.000 / 100.000 phiếu"."""
    if job.status is JobStatus.queued:
        if workers.seems_absent(job.created_at):
            return workers.no_worker_text()
        return _("Waiting for a worker…")
    if job.status is JobStatus.failed:
        return job.error or _("The file could not be made.")
    if job.kind is JobKind.import_:
        return import_text(job)
    if job.status is JobStatus.done:
        if lifecycle.is_expired(job):
            return _("The file has expired and was deleted.")
        if job.kind is JobKind.paper:
            return _("Ready: %(total)s paper forms.", total=format_number(job.total))
        if job.kind is JobKind.posters:
            return _("Ready: %(total)s posters.", total=format_number(job.total))
        return _(
            "Ready: %(done)s / %(total)s responses.",
            done=format_number(job.done),
            total=format_number(job.total),
        )
    if job.kind is JobKind.paper:
        return _("Laying out %(total)s paper forms…", total=format_number(job.total))
    if job.kind is JobKind.posters:
        return _(
            "Laid out %(done)s / %(total)s posters",
            done=format_number(job.done),
            total=format_number(job.total),
        )
    if job.kind is JobKind.results:
        return _(
            "Computing the results of %(n)s responses…", n=format_number(job.total)
        )
    if job.kind is JobKind.report:
        return _(
            "Laying out the report of %(total)s responses…",
            total=format_number(job.total),
        )
    return _(
        "Processed %(done)s / %(total)s responses",
        done=format_number(job.done),
        total=format_number(job.total),
    )


def import_text(job: Job) -> str:
    """How far an import is: reading, "Đã kiểm tra 42.000 / 100.000 dòng", storing,
    then what it did (its outcome is kept when its file has expired)."""
    report = importing.report_of(job)
    if job.status is JobStatus.done and report is not None:
        return import_outcome_text(report, job.outcome or {})
    done, total = format_number(job.done), format_number(job.total)
    if job.total == 0:
        return _("Reading the file…")
    if job.done < job.total:
        return _("Checked %(done)s / %(total)s rows", done=done, total=total)
    return _("Checked all %(total)s rows; storing…", total=total)


@bp.app_template_filter("unit_name")
def unit_name(code: str | None) -> str:
    """The name of the unit with ``code`` in a job's title (the code itself if
    the unit is gone)."""
    unit = unit_by_code(code)
    return unit.name if unit is not None else (code or "")


def import_outcome_text(report: imports.ImportReport, outcome: dict) -> str:
    """What a finished import did, in one line."""
    if report.file_error:
        return report.file_error
    if report.imported == 0 and outcome.get("error_count"):
        return _refused_text(outcome["error_count"], outcome.get("decision"))
    return str(imports.summary(report))


def _refused_text(count: int, decision: str | None) -> str:
    """What a file with ``count`` problems led to: nothing yet, the decision to
    import nothing, or its valid rows imported by another job."""
    shown = format_number(count)
    if decision == importing.DECIDED_VALID_ONLY:
        return _(
            "Problems in the file: %(count)s; its valid rows were imported apart.",
            count=shown,
        )
    if decision == importing.DECIDED_NOTHING:
        return _(
            "Problems in the file: %(count)s; nothing imported, as decided.",
            count=shown,
        )
    return ngettext(
        "Nothing was imported: %(count)s problem in the file.",
        "Nothing was imported: %(count)s problems in the file.",
        count,
        count=shown,
    )


def is_counted(job: Job) -> bool:
    """True when ``job``'s bar can show how far it is; False while it runs with
    nothing to count (a report or paper forms being laid out, results computed, a
    file read or stored): its bar then only shows that the work goes on. Exports
    count responses, posters their pages."""
    if job.status is not JobStatus.running:
        return True
    if job.kind is JobKind.import_:
        return job.done < job.total
    return job.kind in (JobKind.export, JobKind.posters)


def job_state(job: Job) -> dict:
    """What the page's script needs to show ``job``'s progress."""
    ready = (
        job.status is JobStatus.done
        and job.kind not in (JobKind.import_, JobKind.results)
        and not lifecycle.is_expired(job)
    )
    return {
        "status": str(job.status),
        "done": job.done,
        "total": job.total,
        "counted": is_counted(job),
        "text": progress_text(job),
        "finished": job.status in (JobStatus.done, JobStatus.failed),
        "download": url_for("admin.job_file", job_id=job.id) if ready else None,
        # a file's, once it is made (an import's report reloads the page)
        "kept_until": format_moment(job.expires_at) if ready else None,
    }


@bp.get("/jobs")
@role_required(*JOB_OWNERS)
def jobs() -> ResponseReturnValue:
    """The user's large downloads and reports (an administrator's: everyone's)."""
    listed = visible_jobs(current_user)
    return render_template(
        "admin/jobs/list.html", jobs=listed, states={j.id: job_state(j) for j in listed}
    )


@bp.get("/jobs/<int:job_id>")
@role_required(*JOB_OWNERS)
def job(job_id: int) -> ResponseReturnValue:
    """One job: its progress, updated by the page's script, then its download
    (an import: its report, and the decision when it found problems)."""
    found = job_or_404(job_id, current_user)
    if found.kind is JobKind.import_ and current_user.role is not Role.surveyor:
        # shown under importing (a surveyor's own list of imports is there too)
        g.nav_endpoint = "entry.import_responses"
    elif found.kind in ASKED_FROM:  # shown under the page it was asked from
        g.nav_endpoint = ASKED_FROM[found.kind]
    decision, followed_by = importing.decision_of(found)
    return render_template(
        "admin/jobs/job.html",
        job=found,
        state=job_state(found),
        report=importing.report_of(found),
        deciding=importing.awaits_decision(found, current_user),
        decision=decision,
        followed_by=followed_by,
    )


@bp.get("/jobs/<int:job_id>/progress")
@role_required(*JOB_OWNERS)
def job_progress(job_id: int) -> ResponseReturnValue:
    """The job's progress as JSON, for the page to poll."""
    response = jsonify(job_state(job_or_404(job_id, current_user)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>/file")
@role_required(*READERS)
def job_file(job_id: int) -> ResponseReturnValue:
    """The job's file, audited as the immediate download is; an expired one says
    so (410), an unfinished one sends back to the job's page."""
    found = job_or_404(job_id, current_user)
    unfinished = found.status is not JobStatus.done or found.file_name is None
    if found.kind is JobKind.results:  # shown on the dashboard, never downloaded
        return redirect(results_page(found))
    if unfinished or found.kind is JobKind.import_:  # an import's file is its input
        return redirect(url_for("admin.job", job_id=found.id))
    path = files.stored_path(found)
    if lifecycle.is_expired(found) or not path.exists():
        return render_template("admin/jobs/expired.html", job=found), 410
    _audit_download(found)
    db.session.commit()
    return send_file(
        path,
        mimetype=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        as_attachment=True,
        download_name=found.file_name,
    )


def results_page(job: Job) -> str:
    """The dashboard a results job computed the section of."""
    parameters = job.parameters
    return url_for(
        "admin.wave_dashboard",
        wave_code=job.wave.code if job.wave else "",
        unit=parameters.get("unit"),
        by=parameters.get("group") or None,
    )


def _audit_download(job: Job) -> None:
    """The event the immediate download of the same file records (paper forms:
    none, their issue or reprint was recorded when asked for)."""
    if job.kind is JobKind.paper:
        return
    wave = job.wave
    if job.kind is JobKind.posters and wave is not None:
        parameters = job.parameters
        record_poster_download(
            current_user,
            "wave",
            wave.code,
            wave,
            job.total,
            parameters["language"],
            parameters["base_url"],
            job=job.id,
        )
        return
    unit = job.parameters.get("unit")
    if job.kind is JobKind.report:
        record_event(
            "report.pdf",
            user=current_user,
            object_type="wave",
            object_id=wave.code if wave else None,
            details={"unit": unit or "all", "job": job.id},
        )
        return
    fmt = job.parameters.get("format")
    record_event(
        f"export.{fmt}",
        user=current_user,
        object_type="wave",
        object_id=str(wave.id) if wave else None,
        details={
            "wave": wave.code if wave else None,
            "unit": unit,
            "format": fmt,
            "job": job.id,
        },
    )
