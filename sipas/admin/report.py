"""The PDF report of a wave's results, per unit subtree."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from sipas.admin import bp
from sipas.admin.dashboard import results_unavailable
from sipas.auth.decorators import READERS, require_scope, role_required
from sipas.extensions import db
from sipas.i18n import current_language
from sipas.models import Unit, Wave
from sipas.services.audit import record_event
from sipas.services.results.report import NoResponses
from sipas.services.results.report import report_pdf as build_pdf
from sipas.services.units.tree import can_see_any, visible_unit_ids
from sipas.services.waves.design import WeightingError
from sipas.stats.calibrate import MarginMismatch


def _wave_and_root(wave_code: str) -> tuple[Wave, Unit | None]:
    """The wave and subtree asked for: 404 if unknown, 403 outside the user's scope.
    Without ``?unit=``: the whole wave for admins, the analyst's own unit else."""
    wave = db.session.scalar(sa.select(Wave).filter_by(code=wave_code))
    if wave is None:
        abort(404)
    if not can_see_any(current_user, [wu.unit_id for wu in wave.wave_units]):
        abort(403)
    code = request.args.get("unit")
    if not code:
        scoped = visible_unit_ids(current_user) is not None
        return wave, current_user.unit if scoped else None
    unit = db.session.scalar(sa.select(Unit).filter_by(code=code))
    if unit is None:
        abort(404)
    return wave, require_scope(unit)


@bp.get("/results/<wave_code>/report.pdf")
@role_required(*READERS)
def report_pdf(wave_code: str) -> Response | tuple[str, int]:
    """The report as a download, recorded in the audit log."""
    wave, root = _wave_and_root(wave_code)
    try:
        data = build_pdf(wave, root, current_language())
    except NoResponses:
        flash(_("This survey round has no response in this scope yet."), "warning")
        return redirect(url_for("admin.index"))
    except (WeightingError, MarginMismatch) as error:
        return results_unavailable(error, {"wave": wave, "root": root}), 409
    unit_code = root.code if root is not None else "all"
    record_event(
        "report.pdf",
        user=current_user,
        object_type="wave",
        object_id=wave.code,
        details={"unit": unit_code, "bytes": len(data)},
    )
    db.session.commit()
    filename = f"sipas-{wave.code}-{unit_code}.pdf"
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=filename,
    )
