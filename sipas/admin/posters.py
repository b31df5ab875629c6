"""QR posters: a printable A4 poster for a unit, or for every unit of a survey round."""

from __future__ import annotations

import io

from flask import (
    current_app,
    flash,
    render_template,
    request,
    send_file,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from sipas.admin.blueprint import bp
from sipas.admin.forms_posters import UNIT, PosterForm
from sipas.admin.jobs import job_started
from sipas.auth.decorators import role_required
from sipas.extensions import db
from sipas.i18n import current_language
from sipas.models import JobKind, Role, Wave
from sipas.services.paper.posters import (
    NoUnits,
    poster_count,
    poster_units,
    poster_waves,
    posters_pdf,
)


def _is_large(wave: Wave) -> bool:
    """Enough units to lay out their posters in the background (JOBS_MIN_POSTERS)."""
    return poster_count(wave) >= current_app.config["JOBS_MIN_POSTERS"]


def public_base_url() -> str:
    """Where citizens reach the site: PUBLIC_BASE_URL, else this request's root."""
    return current_app.config.get("PUBLIC_BASE_URL") or request.url_root


@bp.route("/posters", methods=["GET", "POST"])
@role_required(Role.admin)
def posters() -> ResponseReturnValue:
    """Choose a unit or a survey round and a language; the PDF is downloaded."""
    units = {unit.code: unit for unit in poster_units()}
    waves = {wave.code: wave for wave in poster_waves()}
    form = PosterForm(
        list(units.values()),
        list(waves.values()),
        current_app.config["LANGUAGES"],
        language=current_language(),
    )
    base_url = public_base_url()
    if form.validate_on_submit():
        by_unit = form.scope.data == UNIT
        wave = None if by_unit else waves[form.wave.data]
        if wave is not None and _is_large(wave):
            parameters = {"language": form.language.data, "base_url": base_url}
            return job_started(JobKind.posters, wave, parameters, poster_count(wave))
        try:
            batch = posters_pdf(
                base_url=base_url,
                language=form.language.data,
                user=current_user,
                unit=units[form.unit.data] if by_unit else None,
                wave=wave,
            )
        except NoUnits:
            flash(_("This survey round has no units yet."), "error")
        else:
            db.session.commit()
            return send_file(
                io.BytesIO(batch.data),
                mimetype="application/pdf",
                as_attachment=True,
                download_name=batch.filename,
            )
    return render_template(
        "admin/posters.html", form=form, base_url=base_url.rstrip("/")
    )
