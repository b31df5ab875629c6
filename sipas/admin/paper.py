"""Paper forms: issue numbered questionnaires for a unit of a wave and print them;
print an earlier batch again."""

from __future__ import annotations

import io

from flask import (
    Response,
    abort,
    current_app,
    flash,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from sipas.admin.blueprint import bp
from sipas.admin.forms_jobs import JobForm
from sipas.admin.forms_paper import IssueForm
from sipas.admin.jobs import job_started
from sipas.auth.decorators import role_required
from sipas.extensions import db
from sipas.i18n import current_language
from sipas.models import JobKind, PaperForm, Role, Unit, Wave
from sipas.services.paper.issuing import (
    MAX_BATCH,
    PaperFormsRefused,
    forms_pdf,
    issue_forms,
    paper_file_name,
    printable_waves,
    recent_batches,
    record_reprint,
)
from sipas.services.paper.lookup import batch_or_404
from sipas.services.waves.lookup import units_of


def _chosen_wave(waves: list[Wave]) -> Wave | None:
    """The wave named by ``?wave=`` (404 if it is not printable), else the newest."""
    code = request.args.get("wave")
    if not code:
        return waves[0] if waves else None
    wave = next((wave for wave in waves if wave.code == code), None)
    if wave is None:
        abort(404)
    return wave


def _pdf_download(forms: list[PaperForm], data: bytes) -> Response:
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=paper_file_name(forms),
    )


def _is_large(forms: list[PaperForm]) -> bool:
    """Enough forms to print them in the background (JOBS_MIN_PAPER_FORMS)."""
    return len(forms) >= current_app.config["JOBS_MIN_PAPER_FORMS"]


def _paper_job(forms: list[PaperForm], language: str) -> ResponseReturnValue:
    """Print ``forms`` in the background and show the job's progress (the caller's
    changes are committed with the job)."""
    parameters = {"batch": forms[0].batch, "language": language}
    return job_started(JobKind.paper, forms[0].wave, parameters, len(forms))


@bp.route("/paper", methods=["GET", "POST"])
@role_required(Role.admin)
def paper_forms() -> ResponseReturnValue:
    """Choose a wave, then a unit and a count: the forms are issued and downloaded."""
    waves = printable_waves()
    wave = _chosen_wave(waves)
    form = IssueForm(
        units_of(wave) if wave else [],
        current_app.config["LANGUAGES"],
        language=current_language(),
    )
    if wave is not None and form.validate_on_submit():
        unit = db.get_or_404(Unit, form.unit.data)
        try:
            forms = issue_forms(wave, unit, form.count.data, current_user)
        except PaperFormsRefused as error:
            flash(error.message, "error")
        else:
            if _is_large(forms):
                return _paper_job(forms, form.language.data)
            data = forms_pdf(forms, form.language.data)
            db.session.commit()
            return _pdf_download(forms, data)
    return render_template(
        "admin/paper/forms.html",
        waves=waves,
        wave=wave,
        form=form,
        batches=recent_batches(),
        max_batch=MAX_BATCH,
    )


@bp.get("/paper/<batch>.pdf")
@role_required(Role.admin)
def paper_batch(batch: str) -> ResponseReturnValue:
    """The same serials printed again (nothing new is issued), audited."""
    forms = batch_or_404(batch)
    if _is_large(forms):
        return render_template(
            "admin/jobs/offer.html",
            what="paper",
            total=len(forms),
            subject=f"{forms[0].wave.title} · {forms[0].unit.name}",
            action=url_for("admin.paper_batch_job", batch=batch),
            back=url_for("admin.paper_forms", wave=forms[0].wave.code),
            form=JobForm(formdata=None, what="pdf"),
        )
    data = forms_pdf(forms, current_language())
    record_reprint(forms, current_user)
    db.session.commit()
    return _pdf_download(forms, data)


@bp.post("/paper/<batch>/job")
@role_required(Role.admin)
def paper_batch_job(batch: str) -> ResponseReturnValue:
    """Print a large batch again in the background (nothing new is issued)."""
    forms = batch_or_404(batch)
    if not JobForm().validate_on_submit():
        abort(400)
    record_reprint(forms, current_user)
    return _paper_job(forms, current_language())
