"""Publishing a closed round's results on /ket-qua and taking them down: each a
confirmation page and a POST, audited by the service."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from sipas.admin.blueprint import bp
from sipas.admin.forms_publication import PublishForm, UnpublishForm
from sipas.auth.decorators import READERS, role_required
from sipas.extensions import db
from sipas.models import Role
from sipas.reports.published import POSTER_SIZE_NAMES
from sipas.services.jobs.queue import prepare_pages
from sipas.services.waves.lookup import published_unit_or_404, wave_or_404
from sipas.services.waves.publication import (
    PublicationRefused,
    publish_wave,
    unpublish_wave,
)


@bp.get("/waves/<code>/publish")
@role_required(Role.admin)
def wave_publish_confirm(code: str) -> ResponseReturnValue:
    """Ask first: what becomes public, and what never does."""
    wave = wave_or_404(code)
    return render_template("admin/waves/publish.html", wave=wave, form=PublishForm())


@bp.post("/waves/<code>/publish")
@role_required(Role.admin)
def wave_publish(code: str) -> ResponseReturnValue:
    """Publish the results once confirmed."""
    wave = wave_or_404(code)
    if not PublishForm().validate_on_submit():
        return redirect(url_for("admin.wave_publish_confirm", code=wave.code))
    try:
        publish_wave(wave, current_user)
    except PublicationRefused:
        flash(_("Only a closed survey round can be published, and only once."), "error")
        return redirect(url_for("admin.wave", code=wave.code))
    db.session.commit()
    flash(_("The results of %(title)s are public.", title=wave.title), "success")
    prepare_pages(wave, request.url_root)  # the round's page tells how far
    return redirect(url_for("admin.wave", code=wave.code) + "#publication")


@bp.route("/waves/<code>/unpublish", methods=["GET", "POST"])
@role_required(Role.admin)
def wave_unpublish(code: str) -> ResponseReturnValue:
    """Take the results off the public pages, with a reason."""
    wave = wave_or_404(code)
    if not wave.is_published:
        return redirect(url_for("admin.wave", code=wave.code))
    form = UnpublishForm()
    if form.validate_on_submit():
        unpublish_wave(wave, current_user, form.reason.data)
        db.session.commit()
        flash(_("The results of %(title)s are no longer public.", title=wave.title))
        return redirect(url_for("admin.wave", code=wave.code) + "#publication")
    status = 400 if request.method == "POST" else 200
    return render_template("admin/waves/unpublish.html", wave=wave, form=form), status


@bp.get("/waves/<code>/poster")
@role_required(*READERS)
def wave_results_poster(code: str) -> ResponseReturnValue:
    """The published results poster of the chosen unit and size (the public file)."""
    wave = wave_or_404(code)
    if not wave.is_published:
        flash(_("The results of this survey round are not published."), "warning")
        return redirect(url_for("admin.wave", code=wave.code))
    size = request.args.get("size", "a4")
    if size not in POSTER_SIZE_NAMES:
        abort(404)
    unit = published_unit_or_404(wave, request.args.get("unit", ""))
    return redirect(
        url_for(
            "public.published_poster",
            wave_code=wave.code,
            unit_code=unit.code,
            size=size,
        )
    )
