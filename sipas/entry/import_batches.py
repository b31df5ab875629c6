"""Import batches in the back office: accept a file's rows, or count imported rows
at once; both audited."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from sipas.auth.decorators import role_required
from sipas.entry.blueprint import bp
from sipas.entry.forms import ImportSettingForm
from sipas.extensions import db
from sipas.i18n import format_number
from sipas.models import Role
from sipas.services.responses import batches
from sipas.services.waves.lookup import wave_or_404
from sipas.services.waves.publication import PublishedFigures


@bp.post("/stats/<wave_code>/imports/<int:batch_id>/accept")
@role_required(Role.admin)
def accept_import(wave_code: str, batch_id: int) -> ResponseReturnValue:
    """Accept one import batch: its waiting rows count from now."""
    wave = wave_or_404(wave_code)
    batch = batches.batch_of_wave(wave, batch_id)
    if batch is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        released = batches.accept(batch, current_user)
    except PublishedFigures:
        db.session.rollback()
        flash(published_figures_message(), "error")
        return redirect(url_for(".stats", wave=wave.code) + "#imports-heading")
    db.session.commit()
    flash(
        _(
            "File %(file)s accepted: %(n)s responses count from now.",
            file=batch.filename,
            n=format_number(released),
        ),
        "success",
    )
    return redirect(url_for(".stats", wave=wave.code) + "#imports-heading")


@bp.post("/stats/<wave_code>/import-setting")
@role_required(Role.admin)
def import_setting(wave_code: str) -> ResponseReturnValue:
    """Count imported rows at once, or only once their file is accepted."""
    wave = wave_or_404(wave_code)
    form = ImportSettingForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = batches.set_counts_unaccepted(
            wave, form.counts_unaccepted.data, current_user
        )
    except PublishedFigures:
        db.session.rollback()
        flash(published_figures_message(), "error")
        return redirect(url_for(".stats", wave=wave.code) + "#imports-heading")
    db.session.commit()
    flash(
        _("Setting saved; %(n)s responses changed.", n=format_number(changed)),
        "success",
    )
    return redirect(url_for(".stats", wave=wave.code) + "#imports-heading")


def published_figures_message() -> str:
    """Why nothing that changes which responses count is done on a round whose
    results are public."""
    return _(
        "The results of this survey round are published: accepting an imported "
        "file or changing which responses count would change the public figures. "
        "Nothing was changed. If it must be done, take the results down first."
    )
