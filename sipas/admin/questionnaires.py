"""Questionnaire pages (administrators only): the stored versions, an upload with
its problems or its preview, publication as a frozen version, downloads."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from sipas.admin.blueprint import bp
from sipas.admin.forms_questionnaires import DecisionForm, UploadForm
from sipas.auth.decorators import role_required
from sipas.extensions import csrf, db
from sipas.i18n import current_language
from sipas.models import Role
from sipas.questionnaire import LoadedQuestionnaire
from sipas.security import logged_in_user, rate_limited
from sipas.services.audit import record_event
from sipas.services.questionnaires import formats, preview, upload
from sipas.services.questionnaires.lookup import version_or_404, versions_with_waves
from sipas.services.questionnaires.store import version_by_sha256
from sipas.survey.forms import form_class
from sipas.survey.kiosk import kiosk_texts, questionnaire_json

#: Request bodies up to this size reach the upload view (the file and the form).
UPLOAD_BODY_LIMIT = upload.MAX_UPLOAD_BYTES + 64 * 1024


@bp.get("/questionnaires")
@role_required(Role.admin)
def questionnaires() -> ResponseReturnValue:
    """Every stored version with the rounds on it, and the upload form."""
    return _render_list(UploadForm(formdata=None))


def _render_list(
    form: UploadForm, problems: tuple[upload.UploadProblem, ...] = (), status: int = 200
) -> ResponseReturnValue:
    page = render_template(
        "admin/questionnaires/index.html",
        rows=versions_with_waves(),
        form=form,
        problems=problems,
        limit_mb=upload.MAX_UPLOAD_MB,
    )
    return page, status


# The form checks the CSRF token itself: the global check would read the body
# before this view raises its size limit from the site's default to the upload's.
@csrf.exempt
@bp.post("/questionnaires/upload")
@rate_limited("import", "RATE_LIMIT_IMPORTS_PER_HOUR", logged_in_user, window=3600)
@role_required(Role.admin)
def questionnaire_upload() -> ResponseReturnValue:
    """Check an uploaded file: its problems, or on to its preview."""
    request.max_content_length = UPLOAD_BODY_LIMIT
    try:
        form = UploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        refused = upload.UploadProblem(upload.too_large())
        return _render_list(UploadForm(formdata=None), (refused,), 413)
    if "csrf_token" in form.errors:  # the answer the site's own check would give
        raise CSRFError(form.errors["csrf_token"][0])
    if not submitted:
        return _render_list(form, status=400)
    name, data = form.file.data.filename or "", form.file.data.read()
    try:
        upload.check_upload(name, data, current_user)
    except upload.UploadRefused as refused:
        db.session.commit()  # the audit event only
        return _render_list(form, refused.problems, 400)
    token = upload.keep_pending(name, data, current_user.id)
    db.session.commit()
    return redirect(url_for("admin.questionnaire_preview", token=token))


def _read_pending(token: str) -> tuple[str, LoadedQuestionnaire] | None:
    """The kept upload's name and questionnaire, read again; None when it is gone."""
    kept = upload.pending(token)
    if kept is None:
        return None
    name, data = kept
    try:
        return name, upload.read_upload(name, data)
    except upload.UploadRefused:  # cannot happen: it was checked when kept
        return None


def _pending_or_404(token: str) -> LoadedQuestionnaire:
    found = _read_pending(token)
    if found is None:
        abort(404)
    return found[1]


def _gone() -> ResponseReturnValue:
    """Back to the list, saying why the preview is not there any more."""
    flash(
        _(
            "This upload is no longer kept (it was published or discarded, or a day "
            "has passed). Please upload the file again."
        ),
        "error",
    )
    return redirect(url_for("admin.questionnaires"))


@bp.get("/questionnaires/preview/<token>")
@role_required(Role.admin)
def questionnaire_preview(token: str) -> ResponseReturnValue:
    """The phone steps, a kiosk screen and the paper form of an upload."""
    found = _read_pending(token)
    if found is None:
        return _gone()
    name, loaded = found
    language = current_language()
    questionnaire = loaded.questionnaire
    steps = [
        (section, form_class(questionnaire, section, language)(formdata=None))
        for section in questionnaire.sections
    ]
    return render_template(
        "admin/questionnaires/preview.html",
        token=token,
        name=name,
        loaded=loaded,
        questionnaire=questionnaire,
        language=language,
        steps=steps,
        same=version_by_sha256(loaded.sha256),
        staying=upload.rounds_staying(loaded),
        form=DecisionForm(),
    )


@bp.get("/questionnaires/preview/<token>/kiosk")
@role_required(Role.admin)
def questionnaire_preview_kiosk(token: str) -> ResponseReturnValue:
    """The kiosk app on the upload: answers stay in the page, nothing is sent."""
    loaded = _pending_or_404(token)
    title = _("Preview: %(title)s", title=loaded.questionnaire.title.get_text("vi"))
    settings = {
        "unit": "preview",
        "unit_name": title,
        "idle": 600,
        "reset": 60,
        "preview": questionnaire_json(loaded.questionnaire),
        "texts": kiosk_texts(),
    }
    unit = {"name": title}
    return render_template(
        "survey/kiosk.html", unit=unit, has_wave=True, settings=settings
    )


@bp.get("/questionnaires/preview/<token>/paper.<any(pdf, png):kind>")
@role_required(Role.admin)
def questionnaire_preview_paper(token: str, kind: str) -> ResponseReturnValue:
    """A specimen paper form of the upload, or its first page as an image."""
    loaded = _pending_or_404(token)
    pdf = preview.paper_pdf(loaded.questionnaire, current_language())
    if kind == "pdf":
        return Response(pdf, mimetype="application/pdf")
    png = preview.first_page_png(pdf)
    if png is None:
        abort(404)
    return Response(png, mimetype="image/png")


@bp.post("/questionnaires/preview/<token>")
@role_required(Role.admin)
def questionnaire_decide(token: str) -> ResponseReturnValue:
    """Publish the previewed upload as a frozen version, or discard it."""
    if not DecisionForm().validate_on_submit():
        abort(400)
    found = _read_pending(token)
    if found is None:
        return _gone()
    if request.form.get("action") != "publish":
        upload.discard_pending(token)
        flash(_("The upload was discarded; nothing was stored."), "success")
        return redirect(url_for("admin.questionnaires"))
    publication = upload.publish(found[1], current_user)
    db.session.commit()
    upload.discard_pending(token)
    for message in _publication_messages(publication):
        flash(message, "success")
    return redirect(url_for("admin.questionnaires"))


def _publication_messages(publication: upload.Publication) -> list[str]:
    version = publication.stored.version
    names = {"code": version.code, "revision": version.revision}
    if not publication.stored.is_new:
        return [
            _(
                "The same content is already stored as %(code)s revision "
                "%(revision)s; nothing new was stored.",
                **names,
            )
        ]
    messages = [_("Published as %(code)s revision %(revision)s.", **names)]
    if publication.waves_kept:
        rounds = ", ".join(wave.code for wave in publication.waves_kept)
        messages.append(
            _(
                "These rounds stay on their earlier version: %(rounds)s.",
                rounds=rounds,
            )
        )
    return messages


@bp.get("/questionnaires/<int:version_id>.<any(xlsx, yaml):kind>")
@role_required(Role.admin)
def questionnaire_download(version_id: int, kind: str) -> ResponseReturnValue:
    """A stored version as a workbook or as YAML."""
    version = version_or_404(version_id)
    if kind == "xlsx":
        data: bytes = formats.to_xlsx(version.definition)
        mimetype = formats.XLSX_MIMETYPE
    else:
        data = formats.to_yaml(version.definition).encode("utf-8")
        mimetype = formats.YAML_MIMETYPE
    name = formats.file_name(version, kind)
    details = {"format": kind, "code": version.code, "revision": version.revision}
    record_event(
        "questionnaire.download",
        user=current_user,
        object_type="questionnaire_version",
        object_id=str(version.id),
        details=details,
    )
    db.session.commit()
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
