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
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from sipas.admin.blueprint import bp
from sipas.admin.forms_paper import IssueForm
from sipas.auth.decorators import role_required
from sipas.extensions import db
from sipas.i18n import current_language
from sipas.models import PaperForm, Role, Unit, Wave
from sipas.services.paper.issuing import (
    MAX_BATCH,
    PaperFormsRefused,
    batch_forms,
    forms_pdf,
    issue_forms,
    printable_waves,
    recent_batches,
    record_reprint,
)
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
    first, last = forms[0], forms[-1]
    name = (
        f"sipas-phieu-{first.wave.code}-{first.unit.code}-{first.serial}-{last.serial}"
    )
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{name}.pdf",
    )


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
def paper_batch(batch: str) -> Response:
    """The same serials printed again (nothing new is issued), audited."""
    forms = batch_forms(batch)
    if not forms:
        abort(404)
    data = forms_pdf(forms, current_language())
    record_reprint(forms, current_user)
    db.session.commit()
    return _pdf_download(forms, data)
