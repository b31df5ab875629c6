"""The response import page: upload a file, read the report, decide."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from sipas.auth.decorators import role_required
from sipas.entry.blueprint import bp
from sipas.entry.forms_import import DecisionForm, JobDecisionForm, ResponseFileForm
from sipas.extensions import csrf, db
from sipas.i18n import current_language
from sipas.models import Role, Wave
from sipas.security import logged_in_user, rate_limited
from sipas.services import uploads
from sipas.services.jobs import importing
from sipas.services.jobs.lookup import job_or_404
from sipas.services.jobs.queue import enqueue
from sipas.services.responses import imports

#: Request bodies up to this size reach the import view (a 50 MB file and the form).
IMPORT_BODY_LIMIT = imports.MAX_IMPORT_BYTES + 64 * 1024
#: Problems listed on the page; the total is given too.
SHOWN_ERRORS = 500
#: Checked files a session may keep waiting for a decision.
KEPT_UPLOADS = 5
SESSION_KEY = "response_uploads"


# The forms check the CSRF token themselves: the global check would read the body
# before this view raises its size limit from the site's default to the import's.
@csrf.exempt
@bp.route("/import", methods=["GET", "POST"])
@rate_limited("import", "RATE_LIMIT_IMPORTS_PER_HOUR", logged_in_user, window=3600)
@role_required(Role.admin, Role.surveyor)
def import_responses() -> ResponseReturnValue:
    """Check a file of responses; store it whole, or show the problems and ask."""
    request.max_content_length = IMPORT_BODY_LIMIT
    waves = imports.import_waves(current_user)
    try:
        deciding = request.method == "POST" and "token" in request.form
    except RequestEntityTooLarge:
        form = _file_form(waves, formdata=None)
        too_large = _("The file is larger than 50 MB.")
        report = imports.ImportReport(file_error=too_large)
        return _render(form, report), 413
    if deciding:
        return _decide(waves)
    form = _file_form(waves)
    submitted = form.validate_on_submit()
    if "csrf_token" in form.errors:  # the answer the site's own check would give
        raise CSRFError(form.errors["csrf_token"][0])
    if not submitted:
        return _render(form), 400 if form.errors else 200
    wave = next(w for w in waves if w.code == form.wave.data)
    upload = form.file.data
    name, data = upload.filename or "", upload.read()
    if importing.is_large(name, data):
        return _import_later(wave, name, data)
    report = imports.import_file(wave, name, data, current_user)
    if report.ok:
        db.session.commit()
        flash(str(imports.summary(report)), "success")
        return redirect(url_for("entry.import_responses"))
    db.session.rollback()
    decision = None
    if report.valid:
        decision = DecisionForm(formdata=None, token=_keep(data, wave, name))
    return _render(form, report, decision, name), 400


def _import_later(wave: Wave, name: str, data: bytes) -> ResponseReturnValue:
    """Hand a large file to a worker and show the job's progress, then its report."""
    job = importing.ask(wave, current_user, name, data, current_language())
    job_id = job.id  # read before the commit: reading after it would lock SQLite
    db.session.commit()
    enqueue(job_id)
    return redirect(url_for("admin.job", job_id=job_id), code=303)


@bp.post("/import/jobs/<int:job_id>")
@role_required(Role.admin, Role.surveyor)
def import_job_decision(job_id: int) -> ResponseReturnValue:
    """Import the valid rows of a job's file (by another job), or nothing."""
    source = job_or_404(job_id, current_user)
    form = JobDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    # decided before, expired, or another user's (an administrator looking on)
    if not importing.awaits_decision(source, current_user):
        flash(_("Nothing was imported."), "info")
        return redirect(url_for("admin.job", job_id=job_id), code=303)
    if form.nothing.data:
        importing.decline(source)
        db.session.commit()
        flash(_("Nothing was imported."), "info")
        return redirect(url_for("entry.import_responses"), code=303)
    job, is_new = importing.ask_valid_rows(source, current_user)
    next_id = job.id
    db.session.commit()
    if is_new:
        enqueue(next_id)
    return redirect(url_for("admin.job", job_id=next_id), code=303)


def _keep(data: bytes, wave: Wave, name: str) -> str:
    """Keep the checked file for the decision, remembered in this session only."""
    token = uploads.keep(data, current_user.id)
    kept = dict(session.get(SESSION_KEY, {}))
    while len(kept) >= KEPT_UPLOADS:
        uploads.discard(kept.pop(next(iter(kept))))
    kept[token] = {"wave": wave.code, "name": name}
    session[SESSION_KEY] = kept
    return token


def _file_form(waves: list[Wave], **kwargs) -> ResponseFileForm:
    form = ResponseFileForm(**kwargs)
    form.wave.choices = [(w.code, f"{w.code} — {w.title}") for w in waves]
    return form


def _decide(waves: list[Wave]) -> ResponseReturnValue:
    """Import the valid rows of a kept file, or forget it."""
    form = DecisionForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            raise CSRFError(form.errors["csrf_token"][0])
        return redirect(url_for("entry.import_responses"))
    kept = dict(session.get(SESSION_KEY, {}))
    entry = kept.pop(form.token.data, None)
    session[SESSION_KEY] = kept
    if entry is None:  # not this session's file, or already decided
        flash(_("Nothing was imported."), "info")
        return redirect(url_for("entry.import_responses"))
    data = uploads.load(form.token.data)
    uploads.discard(form.token.data)
    wave = next((w for w in waves if w.code == entry["wave"]), None)
    if form.nothing.data or data is None or wave is None:
        flash(_("Nothing was imported."), "info")
        return redirect(url_for("entry.import_responses"))
    report = imports.import_file(
        wave, entry["name"], data, current_user, valid_only=True
    )
    db.session.commit()
    flash(str(imports.summary(report)), "success")
    return redirect(url_for("entry.import_responses"))


def _render(form, report=None, decision=None, filename="") -> str:
    errors = report.errors[:SHOWN_ERRORS] if report else ()
    return render_template(
        "entry/import.html",
        form=form,
        report=report,
        errors=errors,
        decision=decision,
        filename=filename,
    )
